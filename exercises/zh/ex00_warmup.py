# i18n-source: exercises/ex00_warmup.py sha256=262566315469ca2820f879e7c24ffa72784f8194ccbf9ffa124629884bcc179e
"""练习 00 · 热身：用代码读懂注意力掩码。

本课程的每个模型都用一个布尔矩阵来决定“谁能看到谁”，这就是注意力掩码（attention mask）：
``mask[i, j] == True`` 表示位置 i 上的查询（query）可以关注（attend to）位置 j 上的键（key）。
notebook 00_welcome 把这些掩码画成了图；这里你要像掩码浏览器那样，用代码把它们读出来。

补全下面的三个函数（把每个 ``raise NotImplementedError`` 换成你的实现），然后运行
notebook 00_welcome 末尾的“检查练习”单元格，或者在终端中（仓库根目录下）运行::

    python -m minilm grade ex00 --lang zh

只需要用到 torch。不必写循环，不过用循环写出正确答案同样能通过。
"""

from __future__ import annotations

import torch


def visible_keys(mask: torch.Tensor, query: int) -> list[int]:
    """返回查询 ``query`` 可以关注的所有键的位置，按从小到大排列。

    参数：
        mask：布尔张量 [T, S]，True 表示可以关注（行对应查询，列对应键）。
        query：行号，0 <= query < T。

    返回：
        由 int 组成的 Python 列表。对 T = 4 的因果（causal）掩码取 ``query = 2``，
        结果是 ``[0, 1, 2]``：这个词元（token）读取它自己以及它之前的词元。
        如果这一行没有任何 True，返回 ``[]``。

    提示：``mask[query]`` 就是这一行；``torch.nonzero(row)`` 以 [k, 1] 张量的形式给出
    其中为 True 的下标；再用 ``.flatten().tolist()`` 把它变成列表。
    """
    raise NotImplementedError("列出第 `query` 行中为 True 的那些列")


def count_visible(mask: torch.Tensor) -> torch.Tensor:
    """统计每个查询可以关注多少个键。

    参数：
        mask：布尔张量，单个序列时形状为 [T, S]，一个批次（batch）时为 [B, T, S]；
            True 表示可以关注。

    返回：
        形状为 [T] 或 [B, T] 的整数张量（torch.long）：每个查询所在行中 True 的个数。
        对 T = 3 的因果掩码，结果是 ``[1, 2, 3]``。

    提示：对布尔张量求和就是数其中 True 的个数；沿最后一维（键所在的维度）求和，
    再用 ``.long()`` 转换类型。
    """
    raise NotImplementedError("数出每个查询行中 True 的个数")


def is_causal(mask: torch.Tensor) -> bool:
    """如果没有任何查询能关注位于它之后的键（对角线以上全是 False），返回 True。

    参数：
        mask：布尔张量 [T, T] 或 [B, T, T]。

    返回：
        Python 的 bool。因果掩码当然是因果的；比它遮住更多位置的掩码也是，例如因果掩码
        与补齐（padding）掩码取“与”的结果。T >= 2 的双向（bidirectional）掩码不是因果的；
        前缀至少有 2 个词元的前缀语言模型（prefix LM）掩码也不是，因为前缀中的词元会看到
        它后面的词元。

    提示：``torch.triu(mask, diagonal=1)`` 只保留对角线以上的元素；``.any()`` 判断其中
    是否有 True；再用 ``bool(...)`` 转成 Python 的 bool。
    """
    raise NotImplementedError("检查对角线以上有没有 True")
