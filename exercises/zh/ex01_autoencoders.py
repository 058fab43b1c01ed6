# i18n-source: exercises/ex01_autoencoders.py sha256=9549d4ed05286c5ab67e2495ec2fda922f75a17fe71d54186f2997ceb18230ef
"""练习 01 · 自编码器与降噪自编码器。

notebook 01_autoencoders_dae 用 ``minilm`` 训练自编码器（autoencoder）和降噪自编码器
（denoising autoencoder，DAE）；这里由你亲手写出它们的公式。权重作为参数传进来，
所以你的函数不需要 ``nn.Module``：

    y = s(W x + b)        编码（code），s 是 logistic sigmoid 函数
    z = s(W' y + b')      重构结果；使用共享权重（tied weights）时 W' = W^T

形状与 ``torch.nn.Linear`` 的约定一致：``W`` 是 [h, d]，``W'`` 是 [d, h]，一个批次（batch）
的输入 ``x`` 是 [B, d]，因此写成批量形式就是 ``y = s(x @ W.T + b)``。

补全下面的四个函数（把每个 ``raise NotImplementedError`` 换成你的实现），然后运行
notebook 01_autoencoders_dae 中的检查单元格，或者在终端中（仓库根目录下）运行::

    python -m minilm grade ex01 --lang zh
"""

from __future__ import annotations

import torch


def autoencoder_forward(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor, W_prime: torch.Tensor | None,
                        b_prime: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """先编码、再解码一个批次的输入，返回 ``(y, z)``。

    参数：
        x：输入 [B, d]。
        W：编码器（encoder）权重 [h, d]；b：编码器偏置 [h]。
        W_prime：解码器（decoder）权重 [d, h]；为 None 时表示共享权重（此时 W' = W^T）。
        b_prime：解码器偏置 [d]。

    返回：
        ``y`` = s(x W^T + b)，形状 [B, h]；以及 ``z`` = s(y W'^T + b')，形状 [B, d]。
        例：x = [[1, 0]]，W = [[1, -1]]，两个偏置都为 0，共享权重 -> y = [[s(1)]] = [[0.731]]，
        z = [[s(0.731), s(-0.731)]]。

    提示：用 ``torch.sigmoid``；共享权重时 W' = ``W.T``，所以 ``y @ W`` 就完成了解码。
    """
    raise NotImplementedError("先算 y = sigmoid(x W^T + b)，再算 z = sigmoid(y W'^T + b')")


def reconstruction_loss(z: torch.Tensor, x: torch.Tensor, kind: str = "cross_entropy") -> torch.Tensor:
    """重构误差（reconstruction error）L(x, z)：对 d 个输入分量求和，再对批次取平均。

    参数：
        z：重构结果 [B, d]，每个元素都在 (0, 1) 之内。
        x：干净的目标 [B, d]。
        kind："squared_error" 表示平方误差：
                  L = sum_k (x_k - z_k)^2
              "cross_entropy" 表示交叉熵（cross-entropy）：
                  L = -sum_k [x_k log z_k + (1 - x_k) log(1 - z_k)]

    返回：
        一个标量张量：先对每一行求和，再对 B 行取平均。例：z = [[0.5, 0.5]]，
        x = [[1, 0]] 时，平方误差为 0.5，交叉熵为 2 log 2 = 1.386。

    提示：先算出一个 [B, d] 的逐分量误差张量，再调用 ``.sum(dim=1).mean()``。
    ``kind`` 取其他任何值时抛出 ``ValueError``。
    """
    raise NotImplementedError("沿第 1 维把逐分量误差求和，再对批次取平均")


def gaussian_noise(x: torch.Tensor, std: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """加性各向同性高斯噪声（Gaussian noise）：``x~ = x + std * eps``，其中 ``eps ~ N(0, I)``。

    参数：
        x：任意形状的浮点张量。
        std：噪声的标准差 sigma >= 0。
        generator：随机数的来源；同一个随机种子（seed）给出同样的噪声。

    返回：
        与 ``x`` 形状相同的张量。请用
        ``torch.randn(x.shape, generator=generator, dtype=x.dtype)`` 抽取 eps——必须正是这个调用，
        这样评分器（grader）才能在同一随机种子下把你的噪声与 ``minilm`` 的噪声逐项比较。
    """
    raise NotImplementedError("返回 x + std * eps，eps 从 generator 中抽取")


def masking_noise(x: torch.Tensor, ratio: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """掩码噪声（masking noise），出自 Vincent et al. (2008)：在 ``x`` 的每一行中随机选出
    恰好 ``k = int(ratio * d + 0.5)`` 个分量，把它们置为 0；其余分量保持不变。

    参数：
        x：浮点张量 [B, d]（每一行是一个样本）。
        ratio：每一行中要破坏的比例，取值在 [0, 1] 之内。
        generator：随机数的来源；被选中的位置必须随随机种子变化，
            而同一个随机种子必须选中同样的位置。

    返回：
        一个与 ``x`` 形状相同的新张量（不要原地修改 ``x``）。一行中的每个位置
        被选中的可能性必须相同。

    提示：给每个元素一个随机分数（``torch.rand(x.shape, generator=generator)``）；
    每一行中分数最小的 k 个元素就构成一个均匀随机的子集（它们的列下标是
    ``scores.argsort(dim=1)[:, :k]``；剩下的交给 ``Tensor.scatter`` 或 ``masked_fill``）。
    """
    raise NotImplementedError("在每一行中把恰好 k 个随机位置置为 0")
