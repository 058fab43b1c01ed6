# i18n-source: exercises/ex06_bart.py sha256=df2e6123e35955b0e25d6ff119925e6b927ba4d46d9c69f5fa73b97c7020d990
"""练习 06 · BART：噪声函数与解码器的输入。

notebook 06_bart_noising 用五种噪声函数（noising function）破坏同一篇文档，再训练 BART
把它还原出来。这里你要把文本填充（text infilling）的核心写两遍：``infilling_spans`` 负责
*抽取*片段（span）——长度服从 Poisson(3)，总量以 30 % 为预算，位置均匀分布，按统计量
评分；``text_infilling`` 负责*应用*给定的片段，按精确结果评分。句子排列变换（sentence
permutation）和文档旋转（document rotation）的随机选择（句子的顺序、起点）作为参数传入，
所以它们同样可以精确评分；``shift_right`` 则由标签（label）构造解码器（decoder）的输入
（它不是噪声函数）。

约定：``ids`` 是一维的 LongTensor，存放词元（token）id；片段是半开区间 ``(start, end)``，
即 ``ids`` 的一对下标；一律返回*新的*张量，绝不修改 ``ids``。

请补全下面的函数（替换掉每一处 ``raise NotImplementedError``），然后运行 notebook 里的
检查单元格，或者在终端中运行::

    python -m minilm grade ex06 --lang zh
"""

from __future__ import annotations

import math  # noqa: F401  （在 infilling_spans 里 math.ceil 用得上）

import torch


def infilling_spans(n: int, mask_ratio: float = 0.3, poisson_lambda: float = 3.0,
                    generator: torch.Generator | None = None) -> list[tuple[int, int]]:
    """为一段 ``n`` 个词元的文本抽取 BART 文本填充的片段（Lewis et al., 2020, Sec. 2.2）。

    1. 预算：一共掩码 ``budget = math.ceil(mask_ratio * n - 1e-9)`` 个词元（减去 ``1e-9``
       是为了抵消浮点误差：例如 0.07 * 100 在浮点下是 7.000000000000001，减去后仍然取到 7）。
    2. 长度：从 Poisson(``poisson_lambda``) 中依次抽取片段长度（抽到 0 也保留：它表示插入
       一个 [MASK]），直到长度之和达到预算；把最后一个截短，使总和恰好等于 ``budget``。
    3. 位置：被破坏后的文本是一排 ``n - budget + k`` 个条目，包括保留下来的词元和 k 个片段
       （不论长度多少，每个片段都只算一个 [MASK] 条目）。在这些条目中均匀随机地选出哪 k 个
       是片段，再按随机顺序把长度分给这些片段。

    参数：
        n：词元个数，>= 1。mask_ratio：要掩码的词元比例，取值在 [0, 1] 之间。
        poisson_lambda：片段的平均长度 lambda（BART 用 3）。
        generator：所有随机数都从它抽取（同一个随机种子给出同样的片段）。

    返回：
        片段列表，每个片段是文本中的半开区间 ``(start, end)``，按 start 排序、互不重叠；长度
        为 0 的片段满足 ``start == end``；所有片段的长度之和等于预算。``mask_ratio = 0`` 时
        返回 ``[]``。例如：n = 10、mask_ratio = 0.3 可能给出 ``[(1, 3), (6, 6), (7, 8)]``
        （长度依次为 2、0、1，预算为 3）。

    提示：``torch.poisson(torch.tensor([lam]), generator=generator)`` 抽取一个长度；
    ``torch.randperm(m, generator=generator)[:k]`` 以随机顺序从 m 个条目位置中选出 k 个，
    所以把它与长度逐一配对、再按位置排序，长度的顺序也就随之打乱了。然后用一个指向文本的
    游标，从左到右依次走过这些位置。
    """
    raise NotImplementedError("抽取 Poisson 长度直到用完预算，再把片段均匀地放到各处")


def text_infilling(ids: torch.Tensor, mask_id: int, spans: list[tuple[int, int]]) -> torch.Tensor:
    """按给定的片段做 BART 的文本填充：每个片段变成*一个* ``mask_id``。

    参数：
        ids：词元 id，形状 [n]。
        mask_id：[MASK] 的 id。
        spans：已排序、互不重叠的半开区间 ``(start, end)``，满足 ``0 <= start <= end <= n``。
            长度为 0 的片段（``start == end``）不删除任何词元，而是在 ``ids[start]`` 之前
            *插入*一个 [MASK]（``start == n`` 时插在末尾）。

    返回：
        被破坏后的 id，长度为 n 减去片段总长度、再加上 ``len(spans)``。例如（M = mask_id）::

            ids   = [10, 11, 12, 13, 14, 15],  spans = [(1, 3), (4, 4)]
            out   = [10,  M, 13,  M, 14, 15]

    提示：用一个游标从左到右走过各个片段：复制 ``ids[cursor:start]``，追加一个 [MASK]，
    再把游标移到 ``end``；走完最后一个片段后，把剩下的部分复制过来。把这些小段收集在一个
    列表里，最后用 ``torch.cat`` 拼起来。
    """
    raise NotImplementedError("把每个片段换成一个 mask_id；(k, k) 片段插入一个")


def sentence_permutation(ids: torch.Tensor, full_stop_id: int, order: list[int]) -> torch.Tensor:
    """按给定的顺序做 BART 的句子排列变换。

    先把 ``ids`` 切分成句子：一句话到 ``full_stop_id`` 为止（句号本身属于这一句）；最后一个
    句号之后如果还有词元，它们另外组成一句。然后按 ``order``（``range(句子个数)`` 的一个
    排列）输出这些句子：先输出第 ``order[0]`` 句，再输出第 ``order[1]`` 句，依此类推。

    返回：
        句子重新排序后的 ids，形状 [n]。例如（``.`` = full_stop_id）::

            ids   = [A, B, ., C, ., D, E, .]     句子 0: A B .   1: C .   2: D E .
            order = [2, 0, 1]
            out   = [D, E, ., A, B, ., C, .]

    提示：用 ``(ids == full_stop_id).nonzero()`` 找出句号；各句的结尾就是这些位置 + 1
    （如果最后一个词元不是句号，还要再加上 ``n``）。
    """
    raise NotImplementedError("在每个句号之后切分，再按给定顺序把句子拼接起来")


def document_rotation(ids: torch.Tensor, start: int) -> torch.Tensor:
    """按给定的起点做 BART 的文档旋转：文档改为从 ``ids[start]`` 开始，到末尾后绕回开头。

    返回：
        旋转后的 ids，形状 [n]。例如::

            ids = [A, B, C, D, E],  start = 2   ->   [C, D, E, A, B]

    ``start = 0`` 时返回 ``ids`` 的一个副本。

    提示：两次切片再 ``torch.cat``（或者用 ``torch.roll``，配上正确的位移量）。
    """
    raise NotImplementedError("先取从 start 开始的尾部，再接上开头部分")


def shift_right(labels: torch.Tensor, start_id: int, pad_id: int) -> torch.Tensor:
    """由标签构造解码器的输入：``[start, y_1, ..., y_{T-1}]``。

    BART 的解码器根据 ``y_<t`` 预测 ``y_t``，所以它读入的是右移一位、前面放上 ``start_id``
    的标签；最后一个标签被丢掉（它之后没有要预测的东西）。值为 -100 的标签表示补齐（padding）
    位置，损失会忽略它们；这些 -100 在输入中变成 ``pad_id``。

    参数：
        labels：[T] 或 [B, T] 的目标 id，补齐位置为 -100。

    返回：
        decoder_input_ids，形状与 ``labels`` 相同。例如（start 为 5，pad 为 0）::

            labels            = [21, 22,  7, -100]
            decoder_input_ids = [ 5, 21, 22,    7]

    提示：先 ``torch.full_like(labels, start_id)``，把 ``labels[..., :-1]`` 复制到
    ``out[..., 1:]``，再用 ``masked_fill`` 把 -100 换掉。
    """
    raise NotImplementedError("前面放 start_id，丢掉最后一个标签，-100 -> pad_id")
