"""ex01_activations: wrong and right answers."""

from catalog import Right, Wrong

WRONG = [
    Wrong(
        "sigmoid: the naive formula overflows for large negative x",
        {
            "sigmoid": """
        def sigmoid(x):
            return 1 / (1 + np.exp(-x))
        """
        },
        {"sigmoid_edge", "sigmoid_grad_edge"},
    ),
    Wrong(
        "sigmoid: computes 1 / (1 + exp(x)), i.e. sigmoid(-x)",
        {
            "sigmoid": """
        def sigmoid(x):
            z = np.exp(-np.abs(x))
            return np.where(x >= 0, z / (1 + z), 1 / (1 + z))
        """
        },
        {"sigmoid_core", "sigmoid_edge"},
    ),
    Wrong(
        "sigmoid: returns float64 for float32 input",
        {
            "sigmoid": """
        def sigmoid(x):
            x = np.asarray(x, dtype=np.float64)
            z = np.exp(-np.abs(x))
            return np.where(x >= 0, 1 / (1 + z), z / (1 + z))
        """
        },
        {"sigmoid_core", "sigmoid_edge", "sigmoid_grad_core", "sigmoid_grad_edge"},
    ),
    Wrong(
        "sigmoid: clips x to [-500, 500] in place",
        {
            "sigmoid": """
        def sigmoid(x):
            np.clip(x, -500, 500, out=x)
            return 1 / (1 + np.exp(-x))
        """
        },
        {"sigmoid_edge", "sigmoid_grad_edge"},
    ),
    Wrong(
        "sigmoid: uses torch.sigmoid",
        {
            "sigmoid": """
        import torch

        def sigmoid(x):
            return torch.sigmoid(torch.from_numpy(x)).numpy()
        """
        },
        {"sigmoid_core", "sigmoid_edge", "sigmoid_grad_core", "sigmoid_grad_edge"},
        status="forbidden",
    ),
    Wrong(
        "sigmoid: uses scipy.special.expit imported under another name",
        {
            "sigmoid": """
        from scipy.special import expit as logistic

        def sigmoid(x):
            return logistic(x)
        """
        },
        {"sigmoid_core", "sigmoid_edge", "sigmoid_grad_core", "sigmoid_grad_edge"},
        status="forbidden",
    ),
    Wrong(
        "sigmoid_grad: sigma * (1 + sigma)",
        {
            "sigmoid_grad": """
        def sigmoid_grad(x):
            s = sigmoid(x)
            return s * (1 + s)
        """
        },
        {"sigmoid_grad_core", "sigmoid_grad_edge"},
    ),
    Wrong(
        "sigmoid_grad: exp(-x) / (1 + exp(-x))**2 overflows",
        {
            "sigmoid_grad": """
        def sigmoid_grad(x):
            e = np.exp(-x)
            return e / (1 + e) ** 2
        """
        },
        {"sigmoid_grad_edge"},
    ),
    Wrong(
        "sigmoid_grad: returns a list",
        {
            "sigmoid_grad": """
        def sigmoid_grad(x):
            s = sigmoid(x)
            return (s * (1 - s)).tolist()
        """
        },
        {"sigmoid_grad_core", "sigmoid_grad_edge"},
    ),
    Wrong(
        "tanh_grad: 1 - tanh(x) instead of 1 - tanh(x)**2",
        {
            "tanh_grad": """
        def tanh_grad(x):
            return 1 - np.tanh(x)
        """
        },
        {"tanh_grad_core", "tanh_grad_edge"},
    ),
    Wrong(
        "tanh_grad: 1 / cosh(x)**2 overflows for large |x|",
        {
            "tanh_grad": """
        def tanh_grad(x):
            return 1 / np.cosh(x) ** 2
        """
        },
        {"tanh_grad_edge"},
    ),
    Wrong(
        "tanh_grad: computes in float64 whatever the input",
        {
            "tanh_grad": """
        def tanh_grad(x):
            return 1 - np.tanh(x.astype(np.float64)) ** 2
        """
        },
        {"tanh_grad_core", "tanh_grad_edge"},
    ),
    Wrong(
        "tanh_grad: 1 - x**2 (forgets tanh)",
        {
            "tanh_grad": """
        def tanh_grad(x):
            return 1 - x * x
        """
        },
        {"tanh_grad_core", "tanh_grad_edge"},
    ),
    Wrong(
        "collapse_linear: W1 @ W2 in the wrong order",
        {
            "collapse_linear": """
        def collapse_linear(W1, b1, W2, b2):
            return W1.T @ W2.T, W2 @ b1 + b2
        """
        },
        {"collapse_linear_core", "collapse_linear_edge"},
    ),
    Wrong(
        "collapse_linear: forgets W2 @ b1",
        {
            "collapse_linear": """
        def collapse_linear(W1, b1, W2, b2):
            return W2 @ W1, b2
        """
        },
        {"collapse_linear_core", "collapse_linear_edge"},
    ),
    Wrong(
        "collapse_linear: adds the biases without W2",
        {
            "collapse_linear": """
        def collapse_linear(W1, b1, W2, b2):
            return W2 @ W1, (b1.sum() + b2)
        """
        },
        {"collapse_linear_core", "collapse_linear_edge"},
    ),
    Wrong(
        "collapse_linear: accumulates into b2",
        {
            "collapse_linear": """
        def collapse_linear(W1, b1, W2, b2):
            b2 += W2 @ b1
            return W2 @ W1, b2
        """
        },
        {"collapse_linear_core", "collapse_linear_edge"},
    ),
]

RIGHT = [
    Right(
        "sigmoid through tanh",
        {
            "sigmoid": """
        def sigmoid(x):
            return 0.5 * (1 + np.tanh(0.5 * x))
        """
        },
    ),
    Right(
        "sigmoid with a boolean mask on a new array",
        {
            "sigmoid": """
        def sigmoid(x):
            out = np.empty_like(x)
            pos = x >= 0
            out[pos] = 1 / (1 + np.exp(-x[pos]))
            e = np.exp(x[~pos])
            out[~pos] = e / (1 + e)
            return out
        """
        },
    ),
    Right(
        "sigmoid clipped to |x| <= 700: stable in float64, overflow warning in float32 (the "
        "contract promises no warning in float64 only)",
        {
            "sigmoid": """
        def sigmoid(x):
            return 1 / (1 + np.exp(-np.clip(x, -700, 700)))
        """
        },
    ),
    Right(
        "sigmoid via logaddexp",
        {
            "sigmoid": """
        def sigmoid(x):
            return np.exp(-np.logaddexp(0, -x)).astype(x.dtype)
        """
        },
    ),
    Right(
        "derivatives written from exp(-|x|), with a warning printed",
        {
            "sigmoid_grad": """
        import warnings

        def sigmoid_grad(x):
            warnings.warn("computing the derivative")
            z = np.exp(-np.abs(x))
            return z / (1 + z) ** 2
        """,
            "tanh_grad": """
        def tanh_grad(x):
            return (1 - np.tanh(x)) * (1 + np.tanh(x))
        """,
        },
    ),
    Right(
        "collapse_linear with np.dot and a list result",
        {
            "collapse_linear": """
        def collapse_linear(W1, b1, W2, b2):
            W = np.dot(W2, W1)
            b = np.dot(W2, b1) + b2
            return [W, b]
        """
        },
    ),
]
