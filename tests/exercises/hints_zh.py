"""The graded tests' failure messages in Chinese, shown by the grader under ``MINILM_LANG=zh``.

Keys are the English messages of the ``assert ..., "message"`` lines in ``test_ex*.py``,
written as their f-strings are (``"query {i} sees the later key {j}"``); values are the
Chinese, with the same ``{...}`` fields, which take the values the English message showed.
``tests/test_i18n.py`` fails when a graded test's message has no entry here.
"""

HINTS_ZH: dict[str, str] = {
    # ex00_warmup
    "return a list of Python ints": "请返回由 Python int 组成的列表",
    "counts are integers": "计数应当是整数",
    "one count per (sequence, query): shape [B, T]": "每个（序列，查询）一个计数：形状为 [B, T]",
    "a causal mask that hides more is still causal": "遮住更多位置的因果掩码仍然是因果的",
    "query {i} sees the later key {j}": "查询 {i} 看到了在它之后的键 {j}",
    # ex01_autoencoders
    "y is [B, h]": "y 的形状应为 [B, h]",
    "z is [B, d]": "z 的形状应为 [B, d]",
    "the loss is a scalar": "损失应当是一个标量",
    "the noise has mean 0": "噪声的均值应为 0",
    "the noise has standard deviation std": "噪声的标准差应为 std",
    "do not modify x in place": "不要原地修改 x",
    "each row needs exactly {k} zeros": "每一行应恰好有 {k} 个 0",
    "the other entries stay unchanged": "其余元素应保持不变",
    "per-position masking rates {freq.tolist()}": "各位置被掩码的比例为 {freq.tolist()}",
    "pairs are masked together {together[off_diagonal].min():.3f} .. {together[off_diagonal].max():.3f} "
    "of the time, expected {p:.3f}":
        "两个位置同时被掩码的比例在 {together[off_diagonal].min():.3f} .. "
        "{together[off_diagonal].max():.3f} 之间，应为 {p:.3f}",
    "the same seed must give the same noise": "同一个随机种子必须给出同样的噪声",
    "another seed must give other positions": "换一个随机种子应当选中别的位置",
    # ex02_ar_vs_ae
    "do not modify input_ids in place": "不要原地修改 input_ids",
    "prefix 0 = causal": "前缀长度为 0 时就是因果掩码",
    "prefix T = bidirectional": "前缀长度为 T 时就是双向掩码",
    "masks are bool": "掩码应当是 bool 张量",
    "{name}: shape {tuple(expected[name].shape)}": "{name}：形状应为 {tuple(expected[name].shape)}",
    "the {name} mask differs": "{name} 掩码与预期不同",
    # ex03_gpt
    "logits are [B, T, V]": "logits 的形状应为 [B, T, V]",
    "do not modify logits in place": "不要原地修改 logits",
    "exactly k tokens per row survive": "每一行应恰好保留 k 个词元",
    # ex05_bert
    "with mlm_probability 0.5 some tokens must be chosen": "mlm_probability 为 0.5 时必须选中一些词元",
    "labels are the ORIGINAL ids": "labels 应当是原始的 id（替换之前的）",
    "unchosen tokens stay unchanged": "没有被选中的词元应保持不变",
    "special tokens and padding are never chosen": "特殊词元和补齐位置永远不会被选中",
    "chose {rate:.3f} of the tokens, want {p}": "选中了 {rate:.3f} 的词元，应为 {p}",
    "a random token is never a special token": "随机替换的词元不能是特殊词元",
    "another seed must choose other tokens": "换一个随机种子应当选中别的词元",
    "neighbouring labels agree {agree:.3f}": "相邻样本的标签有 {agree:.3f} 的比例相同",
    "{key}: {got[key]:.3f}, expected {q:.3f}": "{key}：{got[key]:.3f}，应为 {q:.3f}",
    "id {i} drawn {int(counts[i])} times": "id {i} 被抽到了 {int(counts[i])} 次",
    "A must have a next sentence in its document": "A 在它的文档中必须有下一句",
    "B = {sentence}: {count / n:.4f}":
        "NotNext 的 B 取句子 {sentence} 的比例为 {count / n:.4f}，与应有的比例不符",
    "IsNext: B is the sentence right after A": "IsNext：B 应当是紧跟在 A 后面的那一句",
    "NotNext: B comes from another document": "NotNext：B 应当来自另一篇文档",
    # ex06_bart
    "{mean:.2f} spans per text, expected {ref_mean:.2f}":
        "每段文本平均 {mean:.2f} 个片段，应为 {ref_mean:.2f}",
    "the same seed must give the same spans": "同一个随机种子必须给出同样的片段",
    "other seeds, other spans": "换随机种子，片段也应当不同",
    "the input must not change": "输入不能被改变",
    "spans are pairs of Python ints": "片段应当是由两个 Python int 组成的对",
    "{spans}: mask exactly {budget} tokens": "{spans}：应恰好掩码 {budget} 个词元",
    "{spans}: sorted, non-overlapping, inside [0, {n}]": "{spans}：应当有序、互不重叠，并落在 [0, {n}] 之内",
    # ex07_glm
    "x1 x2 [MASK] x4 [MASK]": "应为 x1 x2 [MASK] x4 [MASK]",
    "one [MASK] per span, however long the span": "每个片段只对应一个 [MASK]，无论片段多长",
    "[S] x5 x6 [S] x3": "应为 [S] x5 x6 [S] x3",
    "x5 x6 [E] x3 [E]": "应为 x5 x6 [E] x3 [E]",
    "no Part B: bidirectional": "没有 Part B 时应为双向掩码",
    "no Part A: causal": "没有 Part A 时应为因果掩码",
    "{spans}: every span has a token and lies inside [0, {n}]":
        "{spans}：每个片段至少含一个词元，并落在 [0, {n}] 之内",
    "{spans}: sorted, with at least one kept token between two spans":
        "{spans}：应当有序，且两个片段之间至少保留一个词元",
    "{spans} cover {covered} tokens, fewer than {budget}": "{spans} 只覆盖了 {covered} 个词元，少于 {budget}",
    "{spans}: drawn on after the budget was reached": "{spans}：已经达到预算之后还在继续抽取片段",
}
