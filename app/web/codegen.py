"""The trained network as code: a runnable numpy script, or a PyTorch module, that rebuilds the
network from a session's export (``GET /api/sessions/{id}/export``) with its trained weights.

The numpy script computes the forward pass exactly as ``engine.network.forward`` does —
z = a W + b, a = g(z), layer by layer (derivation steps 1–5) — with every activation written the
way the engine's registry writes it (σ as ½(1 + tanh(z/2)), softmax shifted by max z), and
every weight printed with ``repr`` (the shortest text that reads back to the same float). So the
script's outputs are the server's ``predict`` outputs, to the last bit or close to it.

The generated text depends only on the export body (plain JSON); nothing here imports the
engine, so what the script does is visible on this page.
"""

from __future__ import annotations

from typing import Any, Literal

Framework = Literal["numpy", "pytorch"]

# a = g(z) as the engine computes it (engine/activations.py), as numpy source
NUMPY_ACTIVATIONS: dict[str, str] = {
    "linear": "def linear(z):\n    return z\n",
    "sigmoid": "def sigmoid(z):\n    return 0.5 * (1.0 + np.tanh(0.5 * z))\n",
    "tanh": "def tanh(z):\n    return np.tanh(z)\n",
    "relu": "def relu(z):\n    return np.maximum(z, 0.0)\n",
    "leaky_relu": "def leaky_relu(z):\n    return np.where(z > 0.0, z, 0.01 * z)\n",
    "softplus": (
        "def softplus(z):\n    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))\n"
    ),
    "softmax": (
        "def softmax(z):\n"
        "    e = np.exp(z - z.max(axis=-1, keepdims=True))\n"
        "    return e / e.sum(axis=-1, keepdims=True)\n"
    ),
}

TORCH_ACTIVATIONS: dict[str, str] = {
    "linear": "nn.Identity()",
    "sigmoid": "nn.Sigmoid()",
    "tanh": "nn.Tanh()",
    "relu": "nn.ReLU()",
    "leaky_relu": "nn.LeakyReLU(0.01)",
    "softplus": "nn.Softplus()",
    "softmax": "nn.Softmax(dim=-1)",
}

# the input features of 2-D data (engine/features.py) as expressions of x1 and x2
FEATURE_SOURCE: dict[str, str] = {
    "x1": "x1",
    "x2": "x2",
    "x1_sq": "x1 * x1",
    "x2_sq": "x2 * x2",
    "x1x2": "x1 * x2",
    "sin_x1": "np.sin(x1)",
    "sin_x2": "np.sin(x2)",
}


def _matrix(rows: list[list[float]], indent: str) -> str:
    inner = ",\n".join(f"{indent}    [{', '.join(repr(float(v)) for v in row)}]" for row in rows)
    return f"[\n{inner},\n{indent}]"


def _vector(values: list[float]) -> str:
    return f"[{', '.join(repr(float(v)) for v in values)}]"


def _header(export: dict[str, Any], session_id: str) -> list[str]:
    net, data = export["network"], export["dataset"]
    epoch = (export.get("state") or {}).get("epoch", 0)
    sizes = _layer_sizes(export)
    return [
        f"Network exported from Backprop Playground (session {session_id}, epoch {epoch}).",
        "",
        f"Layers {'-'.join(str(n) for n in sizes)}, activations {', '.join(net['activations'])},"
        f" loss {net['loss']}; trained on the {data['name']!r} data set.",
    ]


def _layer_sizes(export: dict[str, Any]) -> list[int]:
    W = export["network"]["weights"]
    return [len(W[0])] + [len(w[0]) for w in W]


def _features(export: dict[str, Any]) -> list[str] | None:
    """The 2-D features the network's inputs are made of (None: the inputs are the data)."""
    feats = export["dataset"].get("features")
    if not feats or export["dataset"].get("inputs") is not None:
        return None
    if not all(f in FEATURE_SOURCE for f in feats):
        return None
    return list(feats) if _layer_sizes(export)[0] == len(feats) else None


def numpy_script(export: dict[str, Any], session_id: str) -> str:
    """A standalone script (needs only numpy): ``forward(X)`` gives the network's outputs for
    input rows X (N, n_0); run it with a JSON list of rows on stdin to print the outputs as
    JSON, or without input to print the outputs for a few example rows."""
    net = export["network"]
    acts = list(net["activations"])
    W, b = net["weights"], net["biases"]
    sizes = _layer_sizes(export)
    feats = _features(export)
    doc = _header(export, session_id) + [
        "",
        "forward(X) computes, layer by layer (derivation steps 1-5),",
        "    z_j = b_j + sum_i a_i w_ij,    a_j = g_j(z_j),",
        "with W[l][i][j] = w_ij from unit i of layer l to unit j of layer l + 1.",
        "",
        "Usage:  python this_file.py < rows.json    (rows.json: [[a_1, ..., a_n0], ...])",
        "        python this_file.py                (outputs for a few example rows)",
    ]
    out = [
        '"""' + "\n".join(doc) + '\n"""',
        "",
        "import json",
        "import sys",
        "",
        "import numpy as np",
    ]
    out += ["", f"LAYER_SIZES = {sizes!r}", f"ACTIVATIONS = {acts!r}"]
    if feats is not None:
        out.append(f"FEATURES = {feats!r}")
    out += ["", "W = ["]
    for w in W:
        out.append(f"    np.array({_matrix(w, '    ')}),")
    out += ["]", "b = ["]
    for v in b:
        out.append(f"    np.array({_vector(v)}),")
    out += ["]", "", ""]
    for name in dict.fromkeys(acts):
        out += [NUMPY_ACTIVATIONS[name], ""]
    out += [
        f"G = [{', '.join(acts)}]",
        "",
        "",
        "def forward(X):",
        '    """The outputs a_k (N, K) for input rows X (N, n_0)."""',
        "    a = np.asarray(X, dtype=np.float64)",
        "    for W_l, b_l, g in zip(W, b, G):",
        "        z = a @ W_l",
        "        z += b_l",
        "        a = g(z)",
        "    return a",
        "",
    ]
    if feats is not None:
        cols = ", ".join(f"np.broadcast_to({FEATURE_SOURCE[f]}, x1.shape)" for f in feats)
        out += [
            "",
            "def features(P):",
            '    """The network\'s inputs for raw points P (N, 2) of the plane: '
            + ", ".join(feats)
            + '."""',
            "    P = np.asarray(P, dtype=np.float64)",
            "    x1, x2 = P[:, 0], P[:, 1]",
            f"    return np.stack([{cols}], axis=1)",
            "",
        ]
    example = "np.eye(LAYER_SIZES[0])" if sizes[0] > 1 else "np.array([[-1.0], [0.0], [1.0]])"
    out += [
        "",
        'if __name__ == "__main__":',
        "    text = '' if sys.stdin.isatty() else sys.stdin.read()",
        f"    X = np.array(json.loads(text), dtype=np.float64) if text.strip() else {example}",
        "    json.dump(forward(X).tolist(), sys.stdout)",
        "    sys.stdout.write('\\n')",
        "",
    ]
    return "\n".join(out)


def pytorch_module(export: dict[str, Any], session_id: str) -> str:
    """A PyTorch ``nn.Module`` with the trained weights (float64). ``nn.Linear`` keeps its
    weight as (out, in), the transpose of the playground's W[l][i][j] = w_ij."""
    net = export["network"]
    acts = list(net["activations"])
    W, b = net["weights"], net["biases"]
    sizes = _layer_sizes(export)
    doc = _header(export, session_id) + [
        "",
        "Needs torch. Network().forward(X) gives the outputs for input rows X (N, n_0), float64.",
        "nn.Linear stores weight[j][i] = w_ij (the transpose of the playground's W[l][i][j]).",
    ]
    out = ['"""' + "\n".join(doc) + '\n"""', "", "import torch", "from torch import nn", ""]
    out += ["", "WEIGHTS = ["]
    for w in W:
        out.append(f"    {_matrix(w, '    ')},")
    out += ["]", "BIASES = ["]
    for v in b:
        out.append(f"    {_vector(v)},")
    out += [
        "]",
        "",
        "",
        "class Network(nn.Module):",
        "    def __init__(self):",
        "        super().__init__()",
        "        layers = []",
    ]
    for layer in range(len(W)):
        out.append(
            f"        layers += [nn.Linear({sizes[layer]}, {sizes[layer + 1]}, "
            f"dtype=torch.float64), {TORCH_ACTIVATIONS[acts[layer]]}]"
        )
    out += [
        "        self.layers = nn.Sequential(*layers)",
        "        with torch.no_grad():",
        "            for linear, w, b in zip(self.layers[::2], WEIGHTS, BIASES):",
        "                linear.weight.copy_(torch.tensor(w, dtype=torch.float64).T)",
        "                linear.bias.copy_(torch.tensor(b, dtype=torch.float64))",
        "",
        "    def forward(self, x):",
        "        return self.layers(x)",
        "",
        "",
        'if __name__ == "__main__":',
        "    net = Network()",
        f"    print(net(torch.eye({sizes[0]}, dtype=torch.float64)))",
        "",
    ]
    return "\n".join(out)


def generate(export: dict[str, Any], session_id: str, framework: Framework) -> str:
    return (numpy_script if framework == "numpy" else pytorch_module)(export, session_id)
