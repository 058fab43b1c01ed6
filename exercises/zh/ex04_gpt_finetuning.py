# i18n-source: exercises/ex04_gpt_finetuning.py sha256=f4c9bb5443d970a33c288567e4c1747429cf034d259c720970c487a5c8ec73c7
"""练习 04 · 微调 GPT：输入格式与辅助语言模型目标。

notebook 04_gpt_finetuning_formats 把一个预训练好的 GPT 在四个任务上做微调（fine-tuning）。
做法是把每种结构化的输入改写成词元（token）序列，用到三个特殊词元（special token）：
起始符 ``<s>``、分隔符 ``$`` 和抽取符 ``<e>``（Radford et al., 2018, Sec. 3.3）。
这就是任务相关的输入格式（task-specific input format）。训练的目标（objective）是

    L_3(C) = L_2(C) + lambda * L_1(C)

即任务损失（loss），再加上 lambda 倍的、在同一批输入上计算的语言模型（language model）
损失——也就是辅助语言模型损失（auxiliary LM loss）。本练习要你写出其中两种输入格式和这个
组合损失；评分测试会在随机输入上把你的结果与 ``minilm.finetune`` 的结果逐一比较。

请补全下面的函数（替换掉每一处 ``raise NotImplementedError``），然后运行 notebook 里的
检查单元格，或者在终端中运行::

    python -m minilm grade ex04 --lang zh
"""

from __future__ import annotations

import torch


def similarity_format(a: list[int], b: list[int], start_id: int, delim_id: int,
                      extract_id: int) -> tuple[list[int], list[int]]:
    """相似度任务中 GPT 要读的两条序列：两段文本的两种顺序各一条。

    两段文本之间没有天然的先后，所以 GPT-1 把两种顺序都送进模型（之后由模型把两个最终
    状态相加；这一步不属于本函数，本函数只返回这两条序列）。

    参数：
        a, b：两段文本的词元 id（int 列表，可能为空）。
        start_id, delim_id, extract_id：``<s>``、``$`` 和 ``<e>`` 的 id。

    返回：
        ``(<s> a $ b <e>, <s> b $ a <e>)``，两个新建的 int 列表。例如取 ``<s>`` = 5、
        ``$`` = 6、``<e>`` = 7::

            a = [11, 12], b = [13]  ->  ([5, 11, 12, 6, 13, 7], [5, 13, 6, 11, 12, 7])

    提示：用列表拼接即可，``[start_id] + a + [delim_id] + ...``。
    """
    raise NotImplementedError("返回两种顺序：<s> a $ b <e> 和 <s> b $ a <e>")


def multiple_choice_format(context: list[int], question: list[int], options: list[list[int]],
                           start_id: int, delim_id: int, extract_id: int) -> list[list[int]]:
    """每个候选答案一条序列：``<s> context $ question $ option_k <e>``。

    参数：
        context, question：上下文（context）和问题的词元 id 列表。
        options：N 个词元 id 列表，每个候选答案一个。
        start_id, delim_id, extract_id：``<s>``、``$`` 和 ``<e>`` 的 id。

    返回：
        由 N 个 int 列表组成的列表，顺序与 ``options`` 相同。例如取 ``<s>`` = 5、
        ``$`` = 6、``<e>`` = 7::

            context = [20, 21], question = [30], options = [[40], [41, 42]]
            -> [[5, 20, 21, 6, 30, 6, 40, 7],
                [5, 20, 21, 6, 30, 6, 41, 42, 7]]

        选项少于 2 个时无从选择：抛出 ``ValueError``。

    提示：公共前缀 ``<s> context $ question $`` 只构造一次，再为每个选项各拼出一个列表。
    """
    raise NotImplementedError("每个选项一条 <s> context $ question $ option <e>")


def combined_loss(class_logits: torch.Tensor, labels: torch.Tensor, lm_logits: torch.Tensor,
                  input_ids: torch.Tensor, attention_mask: torch.Tensor,
                  lm_weight: float) -> torch.Tensor:
    """GPT-1 的微调目标 L_3 = L_2 + lambda * L_1，写成要最小化的损失。

    参数：
        class_logits：float [B, C]，分类器给出的 logits（未归一化的分数），由 ``<e>`` 处的
            h_L 算出。
        labels：long [B]，每个样例的正确类别，即标签（label）。
        lm_logits：float [B, T, V]，语言模型头在同一批输入上的输出。
        input_ids：long [B, T]，按格式改写好的输入。
        attention_mask：long [B, T]，1 = 真实词元，0 = 补齐（padding）位置（补齐都在每行右侧）。
        lm_weight：lambda，取值在 [0, 1] 之间的数（论文用 0.5）。

    返回：
        一个标量：``L_2 + lm_weight * L_1``。其中 L_2 是 ``class_logits`` 对 ``labels`` 的
        平均交叉熵（cross-entropy）；L_1 是 ``lm_logits`` 的平均下一个词元交叉熵：位置 t
        预测 ``input_ids[:, t + 1]``，最后一个位置不计分，下一个词元是补齐的位置也不计分。
        ``lm_weight`` 不在 [0, 1] 之内时抛出 ``ValueError``。

    提示：调用两次 ``torch.nn.functional.cross_entropy``。算 L_1 时，让 ``lm_logits[:, :-1]``
    与 ``input_ids[:, 1:]`` 逐位对齐，并把补齐位置的目标设为 -100
    （即 ``cross_entropy`` 的 ``ignore_index``）。
    """
    raise NotImplementedError("任务交叉熵 + lm_weight * 下一个词元交叉熵")
