# i18n-source: exercises/ex07_glm.py sha256=f477c91c094624d3f907481022711c938e74cf77c91d37d7db03e30f74708dce
"""练习 07 · GLM：亲手搭建自回归空白填充。

notebook 07_glm_blank_infilling 展示了 GLM（Du et al., 2022）如何把一段文本变成一个训练样本，
也就是自回归空白填充（autoregressive blank infilling）：采样出的片段（span）各自变成*一个*
[MASK]，得到损坏文本（corrupted text），即 Part A；这些片段本身按打乱后的顺序接在后面，
每个片段以 [S] 开头、以 [E] 收尾，构成 Part B；每个词元（token）带有两个位置编号；Part A
被双向地读取，Part B 则从左到右地写出。这里你要亲手构造每一个部件：抽取片段
（``sample_spans``），构造 Part A、Part B、二维位置编码（2D positional encoding）和一个批次
（batch）的注意力掩码（attention mask），最后借助这个空白做分类（``cloze_log_probs``，即 PET
的标签词映射（verbaliser）的做法）。论文中的示例（Fig. 2）取 ``x = [x1 .. x6]``，片段为 ``[x3]``
和 ``[x5, x6]``，Part B 的顺序为 ``z = (2, 1)``::

    输入        x1 x2  M x4  M | [S] x5 x6 | [S] x3
    位置 1       0  1  2  3  4 |   4  4  4 |   2  2     （论文从 1 开始编号）
    位置 2       0  0  0  0  0 |   1  2  3 |   1  2
    目标                       |  x5 x6 [E]|  x3 [E]

约定（与 ``minilm`` 相同）：
* ``spans`` 是已排序、互不重叠的半开区间 ``(start, end)``，即 ``ids`` 的一对下标；
* ``order`` 是排列 z：Part B 先放 ``spans[order[0]]``，再放 ``spans[order[1]]``，依此类推；
* 掩码都是 bool 张量，``mask[i, j] == True`` 表示查询（query）i *可以*关注键（key）j。

请补全下面的函数（替换掉每一处 ``raise NotImplementedError``），然后运行 notebook 里的
检查单元格，或者在终端中运行::

    python -m minilm grade ex07 --lang zh
"""

from __future__ import annotations

import torch


def sample_spans(n: int, mask_ratio: float = 0.15, poisson_lambda: float = 3.0,
                 generator: torch.Generator | None = None) -> list[tuple[int, int]]:
    """为一段 ``n`` 个词元的文本抽取 GLM 的空白（Du et al., 2022, Sec. 2.1）。

    1. 长度：从 Poisson(``poisson_lambda``) 中依次抽取片段长度，只接受 >= 1 的值（一个空白
       至少包含一个词元：抽到 0 就丢掉重抽），直到长度之和至少覆盖 ``mask_ratio * n`` 个词元。
       每个长度都保留（最后一个*不*截短）。
    2. 两个片段必须是彼此分开的空白，所以它们之间至少隔着一个保留的词元：k 个片段连同
       这些间隔共占 ``sum(lengths) + k - 1`` 个词元，必须满足 ``sum(lengths) + k - 1 <= n``。
       只要放不下，就看超出的词元数：最后一个片段比它长，就把最后一个片段缩短这么多；
       否则（最后一个片段不比它长）就把最后一个片段整个去掉，然后重新检查。
    3. 位置：在所有满足条件的布局中均匀随机地选一个。记 ``free = n - sum(lengths) - (k - 1)``
       为多余的保留词元个数，则布局是一排 ``free + k`` 个条目（多余的词元和片段；除最后一个
       片段外，每个片段后面都紧跟着它那个必需的保留词元）。均匀随机地选出哪 k 个条目是
       片段，再按随机顺序把长度分给这些片段。

    参数：
        n：词元个数，>= 1。mask_ratio：要挖空的词元比例，取值在 [0, 1] 之间。
        poisson_lambda：泊松分布的均值（GLM 用 3）。
        generator：所有随机数都从它抽取。

    返回：
        已排序的半开区间 ``(start, end)`` 列表，每个片段至少一个词元长，任意两个片段之间
        至少隔着一个词元。``mask_ratio = 0`` 时返回 ``[]``。例如：n = 10、mask_ratio = 0.15
        需要覆盖 1.5 个词元：长度 [1, 3] 可能给出 ``[(2, 3), (5, 8)]``。

    提示：和 BART 的文本填充一样，``torch.randperm(free + k, generator=generator)[:k]`` 以随机
    顺序选出片段所在的条目位置；把它们排序后依次走过，每遇到一个片段，游标先前进这个片段
    之前的多余词元数，再前进片段本身的长度，最后再前进那一个必需的间隔词元。
    """
    raise NotImplementedError("抽取 Poisson 长度（>= 1）直到覆盖预算，再放置各个片段")


def make_part_a(ids: torch.Tensor, spans: list[tuple[int, int]], mask_id: int) -> torch.Tensor:
    """Part A（x_corrupt）：把 ``ids`` 中的每个片段替换成*一个* ``mask_id`` 词元。

    参数：
        ids：词元 id，形状 [n]（一维 LongTensor），即干净的文本 x。
        spans：已排序、互不重叠的半开区间 (start, end)，是 ``ids`` 的下标。
        mask_id：[MASK] 的 id。

    返回：
        LongTensor，形状 [n - sum(end - start) + len(spans)]。对上面的示例，ids =
        [x1 .. x6]、spans = [(2, 3), (4, 6)] 给出 [x1, x2, M, x4, M]。没有片段时返回 ``ids``。

    提示：走过各个片段，同时记住上一个片段的结尾；把片段之间的文本复制过来，每个片段
    再追加一个 mask_id。
    """
    raise NotImplementedError("保留片段之间的文本，每个片段换成一个 mask_id")


def make_part_b(ids: torch.Tensor, spans: list[tuple[int, int]], order: list[int], start_id: int,
                end_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Part B：按顺序 z 排列的各个片段，分别作为模型的输入和目标。

    片段 s = [s_1 .. s_l] 以 [S] s_1 .. s_l 的形式*读入*，要*预测*的是 s_1 .. s_l [E]：
    和 GPT 一样，每个位置的输入就是前一个位置的目标。

    参数：
        ids：词元 id，形状 [n]；spans：与 ``make_part_a`` 中相同；order：range(len(spans))
        的一个排列；start_id, end_id：[S] 和 [E] 的 id。

    返回：
        ``(inputs, targets)``，两个等长的 LongTensor，长度为 sum(end - start + 1)。
        对上面的示例（order = [1, 0]）：inputs = [S, x5, x6, S, x3]，targets =
        [x5, x6, E, x3, E]。

    提示：对 order 中的每个 j，片段就是 ``ids[spans[j][0]:spans[j][1]]``。
    """
    raise NotImplementedError("输入为 [S] + 片段，目标为片段 + [E]，片段按给定顺序排列")


def glm_position_ids(part_a_len: int, spans: list[tuple[int, int]], order: list[int],
                     mask_positions: list[int]) -> torch.Tensor:
    """GLM 为 ``[Part A ; Part B]`` 给出的二维位置：一个 LongTensor [2, T]。

    第 0 行，“位置 1”：Part A 的词元取它在 Part A 中的下标（0, 1, ..., part_a_len - 1）；
    片段 j 在 Part B 中的每个词元都取片段 j 那个 [MASK] 的下标 mask_positions[j]。
    第 1 行，“位置 2”：Part A 中为 0；在片段 j 内部（它的 [S] 加上它的 l 个词元）依次为
    1, 2, ..., l + 1。这样模型知道一个片段该放在*哪里*，却不知道它有多长。

    参数：
        part_a_len：Part A 的长度 len(Part A)；spans, order：与 ``make_part_b`` 中相同；
        mask_positions：每个片段的 [MASK] 在 Part A 中的下标，按 ``spans`` 的顺序排列
        （而不是按 ``order`` 的顺序）。

    返回：
        LongTensor [2, T]，其中 T = part_a_len + sum(end - start + 1)。对上面的示例
        （part_a_len = 5，mask_positions = [2, 4]，order = [1, 0]）::

            [[0, 1, 2, 3, 4, 4, 4, 4, 2, 2],
             [0, 0, 0, 0, 0, 1, 2, 3, 1, 2]]

    提示：先构造两个 Python 列表，每行一个，再调用 ``torch.tensor([row_1, row_2])``。
    """
    raise NotImplementedError("Part A：(i, 0)；片段 j：(mask_positions[j], 1 .. len + 1)")


def glm_batch_mask(sep: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """GLM 的 Part A / Part B 自注意力掩码（self-attention mask），用于一个经过补齐（padding）
    的批次，每行是 ``[Part A ; Part B ; 补齐]``。

    第 b 行的位置 ``0 .. sep[b] - 1`` 是 Part A，从 ``sep[b]`` 起是 Part B（每行有自己的
    ``sep``），再往后是补齐部分（attention_mask 为 0）。在每一行中：

    * Part A 的查询能看到 Part A 的所有键，看不到 Part B 的任何键：这一部分是双向编码器
      （bidirectional encoder）；
    * Part B 的查询能看到 Part A 的全部，以及 Part B 中直到它自己为止的键：这一部分是因果
      （causal）解码器；
    * 谁都看不到补齐位置的键；补齐位置的查询也遵守同样的规则（它们的输出从来不会被用到）。

    例如：sep = [2]，attention_mask = [[1, 1, 1, 1, 0]]（1 = True）::

        [[[1, 1, 0, 0, 0],
          [1, 1, 0, 0, 0],
          [1, 1, 1, 0, 0],
          [1, 1, 1, 1, 0],
          [1, 1, 1, 1, 0]]]

    参数：
        sep：LongTensor [B]，每行 Part A 的长度。
        attention_mask：[B, T]，1 = 真实词元，0 = 补齐。

    返回：
        bool [B, T, T]，``mask[b, i, j]`` 表示第 b 行的查询 i 可以关注键 j。

    提示：把一个 [T, T] 的因果掩码与一个 [B, 1, T] 的“键 j < sep[b]”做广播后取或（OR），
    再与一个 [B, 1, T] 的“键 j 是真实词元”取与（AND）。
    """
    raise NotImplementedError("因果掩码 OR（键在本行的 Part A 中），再 AND 键是真实词元")


def cloze_log_probs(logits: torch.Tensor, sep: torch.Tensor, label_word_ids: torch.Tensor) -> torch.Tensor:
    """把分类当作完形填空（cloze）问题（PET，GLM Sec. 2.3）：给标签词映射中的词打分。

    一个句子 x 被改写成完形填空问题 c(x)，例如 "{x} it was [MASK] ."；每个标签 y 对应一个
    词 v(y)，例如 negative -> "bad"，positive -> "good"。GLM 把 c(x) 当作 Part A 读入，并在
    下标 ``sep``（= len(Part A)）处放一个 [S]；在 [S] 处做出的预测就是空白的第一个词元。
    标签分布取的是这些标签词在那里的概率，只在各个标签之间重新归一化（GLM 的 Eq. 3）::

        p(y | x) = p(v(y) | c(x)) / sum_{y'} p(v(y') | c(x))

    参数：
        logits：float [B, T, V]，GLM 在一批完形填空输入上输出的 logits（未归一化的分数）。
        sep：LongTensor [B]，每行中 [S] 的下标（各行长度不同）。
        label_word_ids：LongTensor [K]，第 k 个标签对应的词的词元 id。

    返回：
        float [B, K]：每行的 ``log p(y = k | x)``；每行取 ``exp`` 后之和为 1，``argmax`` 就是
        预测的标签。例如 V = 4，只有一行，它在 [S] 处的 logits 是 [0, 2, 0, 1]，标签词为
        [3, 1]：log_softmax([1, 2]) = [-1.31, -0.31]。

    提示：``logits[torch.arange(B), sep]`` 取出每行 [S] 位置的 logits（[B, V]）；再用
    ``label_word_ids`` 选出其中的列，然后在 K 个标签上做 ``log_softmax``。
    """
    raise NotImplementedError("取出每行 [S] 处的 logits，只保留标签词，在它们之上做 log_softmax")
