# i18n-source: exercises/ex02_ar_vs_ae.py sha256=f18ef3e46ded515ee85607bb2a5696e4d4fa45aef42fb5d8223b83b957e0ad4c
"""练习 02 · 自回归（autoregressive）与自编码（autoencoding）：标签与掩码。

notebook 02_ar_vs_ae 说明了：GPT 这样的因果语言模型（causal LM）、BERT 这样的掩码语言模型
（masked LM）、UniLM 这样的前缀语言模型（prefix LM）和编码器-解码器（encoder-decoder）之间
只有两处不同——标签（label）是什么，以及同一个 Transformer 在哪种注意力掩码（attention mask）
下运行。这里两样都由你亲手构造：从左到右（left to right）和从右到左（right to left）
语言模型的标签，ELMo 合并两个方向的做法，以及因果掩码、前缀语言模型掩码和编码器-解码器的掩码。

约定（与 ``minilm`` 相同）：
* 标签与模型的输出**对齐**：位置 t 上的标签就是位置 t 上的预测应当给出的词元（token）；
  -100 表示“这里不做预测”；
* 掩码是布尔张量，``mask[i, j] == True`` 表示查询（query）i 可以关注键（key）j。

补全下面的函数（把每个 ``raise NotImplementedError`` 换成你的实现），然后运行
notebook 02_ar_vs_ae 中的检查单元格，或者在终端中（仓库根目录下）运行::

    python -m minilm grade ex02 --lang zh
"""

from __future__ import annotations

import torch


def clm_labels(input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
    """因果（预测下一个词元）语言模型的标签。

    参数：
        input_ids：词元 id，形状 [T] 或 [B, T]。
        attention_mask：None，或形状为 [B, T] / [T] 的张量，1 = 真实词元，0 = 补齐（padding）。

    返回：
        与 ``input_ids`` 形状相同的 ``labels``：``labels[..., t] = input_ids[..., t + 1]``；
        最后一个位置为 -100（后面已经没有词元了），*下一个*词元是补齐的位置也都为 -100。
        例::

            input_ids      = [ 5,  8,  9,  3,    0  ]
            attention_mask = [ 1,  1,  1,  1,    0  ]
            labels         = [ 8,  9,  3, -100, -100]

    提示：先 ``torch.full_like(input_ids, -100)``，再把 ``input_ids[..., 1:]`` 赋给
    ``labels[..., :-1]``；有掩码时，用 ``masked_fill`` 处理下一个词元是补齐的那些位置。
    """
    raise NotImplementedError("把 id 向左移一位；后面没有真实词元的位置为 -100")


def r2l_labels(input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
    """从右到左语言模型的标签，按词元的**原始**顺序排列。

    从右到左的语言模型根据每个词元**之后**的词元来预测它：
    p(x) = prod_t p(x_t | x_{t+1}, ..., x_T)。从右往左读，位置 t 上所做的预测
    对象是紧挨在它前面的那个词元，所以 ``labels[..., t] = input_ids[..., t - 1]``。
    位置 0 为 -100（它前面没有词元），每个补齐位置（attention_mask 为 0）也为 -100
    （补齐在右侧，而标签取自左边一位，因此真实位置的标签永远不会是补齐）。例::

        input_ids      = [   5,  8,  9,  3,    0]
        attention_mask = [   1,  1,  1,  1,    0]
        labels         = [-100,  5,  8,  9, -100]

    参数：
        input_ids：词元 id，形状 [T] 或 [B, T]。
        attention_mask：None，或与 ``input_ids`` 形状相同，1 = 真实词元，0 = 补齐。

    返回：
        与 ``input_ids`` 形状相同的 ``labels``。（它等于：把每一行的真实词元倒序，
        求 ``clm_labels``，再倒序回来。）

    提示：它是 ``clm_labels`` 的镜像：把 ``input_ids[..., :-1]`` 复制到 ``labels[..., 1:]``，
    再用 ``masked_fill`` 处理补齐位置。
    """
    raise NotImplementedError("把 id 向右移一位；位置 0 和补齐位置为 -100")


def combine_directions(l2r_log_probs: torch.Tensor, r2l_log_probs: torch.Tensor) -> torch.Tensor:
    """按 ELMo 的思路从两侧填空：把两个方向当作两位专家，取它们的乘积（product of experts）。

    从左到右的语言模型给出 log p(x_t | x_<t)，从右到左的语言模型给出 log p(x_t | x_>t)；
    两者各自只看到一侧。把两个对数概率相加，就是把两个分布相乘；再在词表（vocabulary）上
    重新归一化，乘积就又成了一个概率分布::

        log p(x_t = v | both sides) = a_v + b_v - log sum_w exp(a_w + b_w)

    参数：
        l2r_log_probs, r2l_log_probs：浮点张量 [..., V]，词表中 V 个词元上的对数概率
            （在最后一维上），两者形状相同。

    返回：
        浮点张量 [..., V]：对数概率（每一行取 ``exp`` 后之和为 1）。两者形状不一致时
        抛出 ``ValueError``。V = 2 的例子：a = log [0.5, 0.5]，b = log [0.8, 0.2]
        得到 log [0.8, 0.2]；a = b = log [0.75, 0.25] 得到 log [0.9, 0.1]。

    提示：``(a + b).log_softmax(dim=-1)``。
    """
    raise NotImplementedError("把两个对数概率相加，再在词表维度上做 log_softmax")


def causal_mask(T: int) -> torch.Tensor:
    """GPT 的掩码：查询 i 可以关注键 0 .. i。

    返回：
        布尔张量 [T, T]，对角线及其以下为 True。

    提示：``torch.tril(torch.ones(T, T, dtype=torch.bool))``。
    """
    raise NotImplementedError("布尔类型的下三角矩阵")


def prefix_lm_mask(T: int, prefix_len: int) -> torch.Tensor:
    """前缀语言模型的掩码（UniLM；T5 的前缀语言模型变体）。

    前 ``prefix_len`` 个词元（即前缀）之间双向（bidirectional）互相可见；之后的每个词元
    能看到整个前缀，以及直到它自己为止的词元。T = 4、prefix_len = 2 时（1 = True）::

        [[1, 1, 0, 0],
         [1, 1, 0, 0],
         [1, 1, 1, 0],
         [1, 1, 1, 1]]

    ``prefix_len = 0`` 得到因果掩码，``prefix_len = T`` 得到全为 True 的（双向）掩码。

    返回：
        布尔张量 [T, T]。

    提示：从因果掩码出发，再与“键位于前缀之中”取“或”
    （``torch.arange(T) < prefix_len`` 是一个 [T] 的行向量，广播到每一行，即每个查询）。
    """
    raise NotImplementedError("因果掩码 OR 键位于前缀之中")


def encoder_decoder_masks(src_attention_mask: torch.Tensor,
                          tgt_attention_mask: torch.Tensor) -> dict[str, torch.Tensor]:
    """编码器-解码器（BART、T5）针对一个已补齐的批次（batch）所用的三个掩码。

    参数：
        src_attention_mask：[B, S]，1 = 真实的源序列词元，0 = 补齐（在右侧）。
        tgt_attention_mask：[B, T]，1 = 真实的目标序列词元，0 = 补齐（在右侧）。

    返回：
        ``{"encoder": [B, S, S], "decoder": [B, T, T], "cross": [B, T, S]}``，全部为布尔张量：

        * 编码器自注意力（self-attention）：每个查询都能看到源序列中所有**真实**的键
          （补齐位置上的查询也一样：它们的输出从不会被使用，而整行全为 False 会得到 NaN）；
        * 解码器自注意力：因果，并且键是真实词元；每个查询还始终保留它自己的位置
          （这样补齐位置上的查询仍至少有一个键）；
        * 交叉注意力（cross-attention）：每个解码器查询都能看到源序列中所有**真实**的键。

        例：B = 1，源序列 [a, b, PAD]，目标序列 [x, y, PAD]（1 = True）::

            encoder  [[1, 1, 0],      decoder  [[1, 0, 0],      cross  [[1, 1, 0],
                      [1, 1, 0],                [1, 1, 0],              [1, 1, 0],
                      [1, 1, 0]]                [1, 1, 1]]              [1, 1, 0]]

    提示：``src_attention_mask.bool()[:, None, :]`` 就是“键是真实词元”，形状 [B, 1, S]，
    可在查询那一维上广播；``.expand(B, rows, S)`` 把它扩展成所需的行数。
    """
    raise NotImplementedError("编码器：真实的键；解码器：因果且（真实或是它自己）；交叉：真实的键")
