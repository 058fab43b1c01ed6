# i18n-source: exercises/ex03_gpt.py sha256=f13c02e25f62627759924824d2ad1825ea0b3363c4ec1f4e6d09e87ec626407f
"""练习 03 · GPT：共享嵌入的输出层、因果语言模型（causal LM）的损失、top-k 采样（sampling）。

notebook 03_gpt_pretraining 搭建了 GPT-1 的语言模型（Radford et al., 2018）：

    h_0 = U W_e + W_p,    h_l = transformer_block(h_{l-1}),    P(u) = softmax(h_L W_e^T)
    L_1(U) = sum_i log P(u_i | u_{i-k}, ..., u_{i-1})

这里由你亲手写出其中的三个部件；评分测试会在随机输入上把它们与 ``minilm`` 的结果比较。

补全下面的函数（把每个 ``raise NotImplementedError`` 换成你的实现），然后运行
notebook 03_gpt_pretraining 中的检查单元格，或者在终端中（仓库根目录下）运行::

    python -m minilm grade ex03 --lang zh
"""

from __future__ import annotations

import torch


def tied_logits(hidden_states: torch.Tensor, token_embedding: torch.Tensor) -> torch.Tensor:
    """GPT 采用共享输入输出嵌入（tied input/output embeddings）的输出层，它给出
    logits（未归一化的分数）：logits = h_L W_e^T。

    参数：
        hidden_states：最顶层的隐藏状态（hidden state）h_L，浮点张量 [B, T, d]。
        token_embedding：词元（token）的嵌入（embedding）矩阵 W_e，浮点张量 [V, d]（第 v 行是
            词元 v 的输入向量——模型读取输入时用的正是这同一个矩阵）。

    返回：
        ``logits`` [B, T, V]：``logits[b, t, v]`` 是 ``h_L[b, t]`` 与 W_e 第 v 行的点积。
        在最后一维上做 softmax，就得到 P(下一个词元)。

    提示：与 W_e 的转置做一次矩阵乘法即可；不需要任何新参数。
    """
    raise NotImplementedError("把隐藏状态乘以转置后的嵌入矩阵")


def clm_loss(logits: torch.Tensor, input_ids: torch.Tensor,
             attention_mask: torch.Tensor | None = None) -> torch.Tensor:
    """因果语言模型的损失（loss）：预测每一个“下一个”词元的平均交叉熵（cross-entropy）。

    参数：
        logits：浮点张量 [B, T, V]，模型在每个位置上的输出。
        input_ids：long 张量 [B, T]，模型读入的词元。
        attention_mask：None，或 long 张量 [B, T]，1 = 真实词元，0 = 补齐（padding）。

    返回：
        一个标量张量：对所有被预测的位置求
        ``-log softmax(logits[b, t])[input_ids[b, t + 1]]`` 的平均值。位置 t 预测的是
        位置 t + 1 上的词元，因此最后一个位置不做预测，下一个词元是补齐的位置也不做预测。
        例：T = 4、掩码为 [1, 1, 1, 0] 时，位置 0 和 1 参与计分（目标分别是 input_ids[1]
        和 input_ids[2]）；位置 2 和 3 不参与。

    提示：去掉 ``logits`` 的最后一个位置和 ``input_ids`` 的第一个位置，让两者对齐，
    然后对展平后的 [N, V] / [N] 张量调用 ``torch.nn.functional.cross_entropy``；
    把要跳过的位置的目标设为 -100（也就是 ``cross_entropy`` 的 ``ignore_index``）。
    """
    raise NotImplementedError("移一位，忽略补齐的目标，再求交叉熵")


def top_k_filter(logits: torch.Tensor, k: int) -> torch.Tensor:
    """采样用的 top-k 过滤：保留每一行最大的 k 个 logits，其余设为 -inf。

    参数：
        logits：浮点张量 [..., V]，下一个词元的 logits（前面可以有任意多个维度）。
        k：要保留的词元个数，1 <= k；k 大于 V 时全部保留。

    返回：
        与 ``logits`` 形状相同的张量：每一行最大的 k 个元素保持不变，其余每个元素都是
        ``float("-inf")``（这样 softmax 给它们的概率为 0）。例::

            logits = [2.0, -1.0, 0.5, 3.0],  k = 2  ->  [2.0, -inf, -inf, 3.0]

    提示：``logits.topk(k, dim=-1).values[..., -1:]`` 是每一行第 k 大的值；
    再用 ``masked_fill`` 把所有小于它的元素替换成 -inf。
    """
    raise NotImplementedError("保留每一行最大的 k 个 logits，其余设为 -inf")
