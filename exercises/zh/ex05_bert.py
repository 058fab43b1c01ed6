# i18n-source: exercises/ex05_bert.py sha256=7a7a989b34e12937f83461386f2fd5f712b83fb733a82c332a251e5139b39f81
"""练习 05 · BERT：段编号、80/10/10 掩码、下一句预测句对、答案片段。

notebook 05_bert_mlm_nsp 用 ``minilm`` 搭建 BERT；这里由你亲手写出它在数据一侧的四个部件
（Devlin et al., 2019）：

* ``segment_ids``  - ``[CLS] A [SEP] B [SEP]`` 的 token_type_ids，也就是段嵌入（segment
  embedding）要查的段编号（BERT-1）；
* ``mlm_batch``    - 掩码语言模型（masked language model，MLM）的 15 % 选取和 80/10/10 替换（BERT-2）；
* ``nsp_pairs``    - 下一句预测（next sentence prediction，NSP）的 50 % IsNext / 50 % NotNext（BERT-3）；
* ``best_span``    - 片段抽取（span extraction）中的答案片段，要求 end >= start（BERT-4）。

约定（与 ``minilm`` 相同）：标签（label）为 -100 表示“这里不做预测”；NSP 的标签 0 = IsNext
（B 紧接在 A 之后），1 = NotNext（B 是随机抽来的）；所有随机性只来自参数 ``generator``，
所以同一个随机种子（seed）总是给出同样的结果。

请补全下面的函数（替换掉每一处 ``raise NotImplementedError``），然后运行 notebook 里的
检查单元格，或者在终端中运行::

    python -m minilm grade ex05 --lang zh
"""

from __future__ import annotations

import torch


def segment_ids(input_ids: torch.Tensor, sep_id: int) -> torch.Tensor:
    """打包好的行 ``[CLS] A [SEP] B [SEP] [PAD] ...`` 的 token_type_ids，只由 [SEP] 推出。

    参数：
        input_ids：词元（token）id，形状 [T] 或 [B, T]。每一行是 ``[CLS] A [SEP]``（一个段）
            或 ``[CLS] A [SEP] B [SEP]``（两个段），后面可能跟着补齐（padding）。
        sep_id：[SEP] 的 id。

    返回：
        与 ``input_ids`` 形状相同的 LongTensor：B 的词元*以及*收尾的那个 [SEP] 为 1，
        其余位置（[CLS]、A、第一个 [SEP]、补齐）都为 0。例如取 [CLS]=2、[SEP]=3、[PAD]=0::

            [2, 10, 11, 3, 12, 3, 0, 0]  ->  [0, 0, 0, 0, 1, 1, 0, 0]
            [2, 10, 3, 0]                ->  [0, 0, 0, 0]

    提示：``(input_ids == sep_id).cumsum(-1)`` 统计到每个位置为止（含该位置）出现了几个 [SEP]；
    一个位置属于 B，当且仅当它之前恰好有一个 [SEP]，而在它自身或它之后还有另一个 [SEP]。
    """
    raise NotImplementedError("数一数每个位置之前和之后各有几个 [SEP]")


def mlm_batch(input_ids: torch.Tensor, attention_mask: torch.Tensor, *, mask_id: int, vocab_size: int,
              special_ids: tuple[int, ...], mlm_probability: float = 0.15,
              generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
    """按 BERT 的 80/10/10 规则构造一个掩码语言模型批次（batch）。

    参数：
        input_ids：[B, T] 词元 id；attention_mask：[B, T]，1 = 真实词元，0 = 补齐。
        mask_id：[MASK] 的 id。vocab_size：id 的取值范围是 [0, vocab_size)，即词表（vocabulary）大小。
        special_ids：永远不会被选中的特殊词元（special token）id（[PAD]、[CLS]、[SEP]、[MASK] 等）。
        mlm_probability：每个真实的、非特殊的词元以这个概率被选中。
        generator：所有随机数都从它抽取。

    返回：
        ``{"input_ids": inputs, "attention_mask": attention_mask, "labels": labels}``，其中
        * labels：被选中的位置上是原来的 id，其余位置都是 -100；
        * 被选中的位置，其输入以 0.8 的概率变成 ``mask_id``，以 0.1 的概率变成从所有
          *非特殊* id 中均匀抽取的一个随机 id，以 0.1 的概率保持不变；
        * 未被选中的位置保持不变；补齐位置（attention_mask 为 0）永远不会被选中。

    提示：``torch.rand(shape, generator=generator) < mlm_probability`` 决定哪些位置被选中；
    再给每个位置抽第二个均匀随机数 u 来决定怎么处理：u < 0.8 -> [MASK]，0.8 <= u < 0.9 -> 随机 id。
    ``torch.isin(input_ids, torch.tensor(special_ids))`` 可以找出特殊词元。
    """
    raise NotImplementedError("先选位置，再按 [MASK] / 随机 / 不变处理，并构造 labels")


def nsp_pairs(documents: list[list[str]], n: int,
              generator: torch.Generator | None = None) -> list[tuple[str, str, int]]:
    """生成 ``n`` 个下一句预测样例 ``(a, b, label)``。

    参数：
        documents：文档列表，每篇文档是一个句子列表（至少两篇文档，其中至少一篇有两个或
            更多句子）。
        n：要生成多少个句对。
        generator：唯一的随机来源。

    返回：
        由 ``n`` 个元组组成的列表。对每个元组：A 是一个在其文档中还有下一句的句子（在所有
        这样的句子中均匀抽取）。然后以 0.5 的概率令 B 为 A 的下一句、label = 0（IsNext）；
        否则令 B 为从*另一篇*文档中抽取的句子、label = 1（NotNext）。

    提示：先列出所有满足 ``index < len(document) - 1`` 的 ``(document, index)``，再用
    ``torch.randint(..., generator=generator)`` 抽取这个列表的下标。
    """
    raise NotImplementedError("抽取 A，掷一枚公平硬币，再挑选 B")


def best_span(start_logits: torch.Tensor, end_logits: torch.Tensor) -> tuple[int, int]:
    """使 ``start_logits[i] + end_logits[j]`` 最大、且 j >= i 的答案片段 (i, j)。

    参数：
        start_logits：答案起点的 logits（未归一化的分数），即每个位置 i 上的 S . T_i，形状 [T]。
        end_logits：答案终点的 logits，即每个位置 j 上的 E . T_j，形状 [T]。

    返回：
        ``(i, j)``，两个 Python int，两端都包含在片段内，且 j >= i。例如：
        start = [0, 3, 1]、end = [2, 0, 1] 给出 (1, 2)：3 + 1 = 4，胜过其他所有满足
        end >= start 的片段（片段 (1, 0) 的得分是 5，但它在开始之前就结束了，不合法）。

    提示：``start[:, None] + end[None, :]`` 给每一对 (i, j) 打分；用 ``triu`` 得到的布尔掩码标出
    j >= i 的位置。其余的 (i, j) 要设成 ``float("-inf")``（用 ``masked_fill``）而不是 0：直接对得分
    调用 ``torch.triu`` 会把它们设成 0，当合法片段的得分全是负数时，就会选中一个不合法的片段。
    """
    raise NotImplementedError("给每一对满足 end >= start 的 (start, end) 打分，取最大者")
