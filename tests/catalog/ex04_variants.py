"""ex04_variants: wrong and right answers."""

from catalog import Right, Wrong

LEAKY = {"leaky_relu_core", "leaky_relu_edge"}
ELU = {"elu_core", "elu_edge"}
SELU = {"selu_core", "selu_edge"}
GELU = {"gelu_core", "gelu_tanh", "gelu_edge"}
SILU = {"silu_core", "silu_edge"}
SOFTPLUS = {"softplus_core", "softplus_edge"}
MISH = {"mish_core", "mish_edge"}
PRELU = {"prelu_core", "prelu_edge"}

WRONG = [
    Wrong(
        "leaky_relu: x >= 0 gives slope 1 at 0",
        {
            "leaky_relu": """
        def leaky_relu(x, negative_slope=0.01):
            return torch.where(x >= 0, x, negative_slope * x)
        """
        },
        {"leaky_relu_edge"},
    ),
    Wrong(
        "leaky_relu: slope fixed at 0.01",
        {
            "leaky_relu": """
        def leaky_relu(x, negative_slope=0.01):
            return torch.where(x > 0, x, 0.01 * x)
        """
        },
        LEAKY,
    ),
    Wrong(
        "leaky_relu: torch.maximum(x, slope * x) averages the slopes at 0",
        {
            "leaky_relu": """
        def leaky_relu(x, negative_slope=0.01):
            return torch.maximum(x, negative_slope * x)
        """
        },
        {"leaky_relu_edge"},
    ),
    Wrong(
        "leaky_relu: through NumPy, not differentiable",
        {
            "leaky_relu": """
        def leaky_relu(x, negative_slope=0.01):
            v = x.detach().numpy()
            return torch.from_numpy(np.where(v > 0, v, negative_slope * v))
        """
        },
        LEAKY,
    ),
    Wrong(
        "leaky_relu: writes into x",
        {
            "leaky_relu": """
        def leaky_relu(x, negative_slope=0.01):
            x[x < 0] *= negative_slope
            return x
        """
        },
        LEAKY,
    ),
    Wrong(
        "leaky_relu: F.leaky_relu",
        {
            "leaky_relu": """
        def leaky_relu(x, negative_slope=0.01):
            return torch.nn.functional.leaky_relu(x, negative_slope)
        """
        },
        LEAKY,
        status="forbidden",
    ),
    Wrong(
        "elu: x >= 0 gives slope 1 at 0",
        {
            "elu": """
        def elu(x, alpha=1.0):
            return torch.where(x >= 0, x, alpha * torch.expm1(torch.clamp(x, max=0)))
        """
        },
        {"elu_edge"},
    ),
    Wrong(
        "elu: torch.where over an overflowing exp",
        {
            "elu": """
        def elu(x, alpha=1.0):
            return torch.where(x > 0, x, alpha * (torch.exp(x) - 1))
        """
        },
        {"elu_edge"},
    ),
    Wrong(
        "elu: alpha ignored",
        {
            "elu": """
        def elu(x, alpha=1.0):
            return torch.where(x > 0, x, torch.expm1(torch.clamp(x, max=0)))
        """
        },
        ELU,
    ),
    Wrong(
        "elu: alpha * exp(x) without the - 1",
        {
            "elu": """
        def elu(x, alpha=1.0):
            return torch.where(x > 0, x, alpha * torch.exp(torch.clamp(x, max=0)))
        """
        },
        ELU,
    ),
    Wrong(
        "elu: F.elu",
        {
            "elu": """
        def elu(x, alpha=1.0):
            return torch.nn.functional.elu(x, alpha)
        """
        },
        ELU,
        status="forbidden",
    ),
    Wrong(
        "selu: constants rounded to 4 digits",
        {
            "selu": """
        def selu(x):
            return 1.0507 * elu(x, 1.6733)
        """
        },
        SELU,
    ),
    Wrong(
        "selu: constants swapped",
        {
            "selu": """
        def selu(x):
            return 1.6732632423543772 * elu(x, 1.0507009873554805)
        """
        },
        SELU,
    ),
    Wrong(
        "selu: scale only on the negative side",
        {
            "selu": """
        def selu(x):
            alpha, scale = 1.6732632423543772, 1.0507009873554805
            return torch.where(x > 0, x, scale * alpha * torch.expm1(torch.clamp(x, max=0)))
        """
        },
        SELU,
    ),
    Wrong(
        "selu: torch.selu",
        {
            "selu": """
        def selu(x):
            return torch.selu(x)
        """
        },
        SELU,
        status="forbidden",
    ),
    Wrong(
        "gelu: the tanh form for both",
        {
            "gelu": """
        def gelu(x, approximate="none"):
            inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)
            return 0.5 * x * (1.0 + torch.tanh(inner))
        """
        },
        {"gelu_core", "gelu_edge"},
    ),
    Wrong(
        "gelu: the exact form for both",
        {
            "gelu": """
        def gelu(x, approximate="none"):
            return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))
        """
        },
        {"gelu_tanh", "gelu_edge"},
    ),
    Wrong(
        "gelu: the sigmoid approximation x * sigmoid(1.702 x)",
        {
            "gelu": """
        def gelu(x, approximate="none"):
            return x * torch.sigmoid(1.702 * x)
        """
        },
        GELU,
    ),
    Wrong(
        "gelu: erf(x) without the 1/sqrt(2)",
        {
            "gelu": """
        def gelu(x, approximate="none"):
            if approximate == "tanh":
                inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)
                return 0.5 * x * (1.0 + torch.tanh(inner))
            return 0.5 * x * (1.0 + torch.erf(x))
        """
        },
        {"gelu_core", "gelu_edge"},
    ),
    Wrong(
        "gelu: F.gelu",
        {
            "gelu": """
        def gelu(x, approximate="none"):
            return torch.nn.functional.gelu(x, approximate=approximate)
        """
        },
        GELU,
        status="forbidden",
    ),
    Wrong(
        "silu: x / (1 + exp(-x)) has a NaN gradient at -1000",
        {
            "silu": """
        def silu(x):
            return x / (1 + torch.exp(-x))
        """
        },
        {"silu_edge"},
    ),
    Wrong(
        "silu: sigmoid(x) without the factor x",
        {
            "silu": """
        def silu(x):
            return torch.sigmoid(x)
        """
        },
        SILU,
    ),
    Wrong(
        "silu: Swish with beta = 2",
        {
            "silu": """
        def silu(x):
            return x * torch.sigmoid(2 * x)
        """
        },
        SILU,
    ),
    Wrong(
        "silu: returns float64 for float32 input",
        {
            "silu": """
        def silu(x):
            return x.double() * torch.sigmoid(x.double())
        """
        },
        SILU,
    ),
    Wrong(
        "silu: F.silu",
        {
            "silu": """
        def silu(x):
            return torch.nn.functional.silu(x)
        """
        },
        SILU,
        status="forbidden",
    ),
    Wrong(
        "softplus: log(1 + exp(beta x)) overflows",
        {
            "softplus": """
        def softplus(x, beta=1.0, threshold=20.0):
            return torch.log(1 + torch.exp(beta * x)) / beta
        """
        },
        SOFTPLUS,
    ),
    Wrong(
        "softplus: relu + log1p(exp(-|z|)) has gradient 0 at 0",
        {
            "softplus": """
        def softplus(x, beta=1.0, threshold=20.0):
            z = beta * x
            smooth = (torch.relu(z) + torch.log1p(torch.exp(-torch.abs(z)))) / beta
            return torch.where(z > threshold, x, smooth)
        """
        },
        {"softplus_edge"},
    ),
    Wrong(
        "softplus: threshold ignored",
        {
            "softplus": """
        def softplus(x, beta=1.0, threshold=20.0):
            return torch.logaddexp(torch.zeros_like(x), beta * x) / beta
        """
        },
        SOFTPLUS,
    ),
    Wrong(
        "softplus: >= threshold",
        {
            "softplus": """
        def softplus(x, beta=1.0, threshold=20.0):
            z = beta * x
            return torch.where(z >= threshold, x, torch.logaddexp(torch.zeros_like(z), z) / beta)
        """
        },
        {"softplus_edge"},
    ),
    Wrong(
        "softplus: forgets to divide by beta",
        {
            "softplus": """
        def softplus(x, beta=1.0, threshold=20.0):
            z = beta * x
            return torch.where(z > threshold, x, torch.logaddexp(torch.zeros_like(z), z))
        """
        },
        SOFTPLUS,
    ),
    Wrong(
        "softplus: F.softplus",
        {
            "softplus": """
        def softplus(x, beta=1.0, threshold=20.0):
            return torch.nn.functional.softplus(x, beta, threshold)
        """
        },
        SOFTPLUS,
        status="forbidden",
    ),
    Wrong(
        "mish: naive softplus has a NaN gradient at 1000",
        {
            "mish": """
        def mish(x):
            return x * torch.tanh(torch.log(1 + torch.exp(x)))
        """
        },
        {"mish_edge"},
    ),
    Wrong(
        "mish: sigmoid in place of tanh",
        {
            "mish": """
        def mish(x):
            return x * torch.sigmoid(softplus(x))
        """
        },
        MISH,
    ),
    Wrong(
        "mish: tanh(x) * softplus(x)",
        {
            "mish": """
        def mish(x):
            return torch.tanh(x) * softplus(x)
        """
        },
        MISH,
    ),
    Wrong(
        "mish: F.mish",
        {
            "mish": """
        def mish(x):
            return torch.nn.functional.mish(x)
        """
        },
        MISH,
        status="forbidden",
    ),
    Wrong(
        "PReLU: a 0-d weight, not shape (num_parameters,)",
        {
            "PReLU": """
        class PReLU(nn.Module):
            def __init__(self, num_parameters=1, init=0.25):
                super().__init__()
                self.weight = nn.Parameter(torch.tensor(float(init)))

            def forward(self, x):
                return torch.where(x > 0, x, self.weight * x)
        """
        },
        PRELU,
    ),
    Wrong(
        "PReLU: weight broadcast along the last dimension",
        {
            "PReLU": """
        class PReLU(nn.Module):
            def __init__(self, num_parameters=1, init=0.25):
                super().__init__()
                self.weight = nn.Parameter(torch.full((num_parameters,), float(init)))

            def forward(self, x):
                return torch.where(x > 0, x, self.weight * x)
        """
        },
        PRELU,
    ),
    Wrong(
        "PReLU: the slope is a plain tensor, not a Parameter",
        {
            "PReLU": """
        class PReLU(nn.Module):
            def __init__(self, num_parameters=1, init=0.25):
                super().__init__()
                self.weight = torch.full((num_parameters,), float(init))

            def forward(self, x):
                w = self.weight.reshape(1, -1, *([1] * (x.dim() - 2))) if x.dim() > 1 \\
                    else self.weight
                return torch.where(x > 0, x, w * x)
        """
        },
        PRELU,
    ),
    Wrong(
        "PReLU: init ignored (always 0.25)",
        {
            "PReLU": """
        class PReLU(nn.Module):
            def __init__(self, num_parameters=1, init=0.25):
                super().__init__()
                self.weight = nn.Parameter(torch.full((num_parameters,), 0.25))

            def forward(self, x):
                w = self.weight.reshape(1, -1, *([1] * (x.dim() - 2))) if x.dim() > 1 \\
                    else self.weight
                return torch.where(x > 0, x, w * x)
        """
        },
        PRELU,
    ),
    Wrong(
        "PReLU: x >= 0 gives gradient 1 at 0",
        {
            "PReLU": """
        class PReLU(nn.Module):
            def __init__(self, num_parameters=1, init=0.25):
                super().__init__()
                self.weight = nn.Parameter(torch.full((num_parameters,), float(init)))

            def forward(self, x):
                w = self.weight.reshape(1, -1, *([1] * (x.dim() - 2))) if x.dim() > 1 \\
                    else self.weight
                return torch.where(x >= 0, x, w * x)
        """
        },
        {"prelu_edge"},
    ),
    Wrong(
        "PReLU: a subclass of nn.PReLU",
        {
            "PReLU": """
        class PReLU(nn.PReLU):
            pass
        """
        },
        PRELU,
        status="forbidden",
    ),
]

RIGHT = [
    Right(
        "leaky_relu with the condition reversed, elu with a clamped exp",
        {
            "leaky_relu": """
        def leaky_relu(x, negative_slope=0.01):
            return torch.where(x <= 0, negative_slope * x, x)
        """,
            "elu": """
        def elu(x, alpha=1.0):
            negative = torch.clamp(x, max=0)
            return torch.where(x > 0, x, alpha * (torch.exp(negative) - 1))
        """,
            "selu": """
        def selu(x):
            return 1.0507009873554804934193349852946 * elu(x, 1.6732632423543772848170429916717)
        """,
        },
    ),
    Right(
        "softplus with maximum, silu through tanh, mish through the student's softplus",
        {
            "softplus": """
        def softplus(x, beta=1.0, threshold=20.0):
            z = beta * x
            stable = torch.maximum(z, torch.zeros_like(z)) + torch.log1p(torch.exp(-z.abs()))
            return torch.where(z > threshold, x, stable / beta)
        """,
            "silu": """
        def silu(x):
            return x * 0.5 * (1 + torch.tanh(x / 2))
        """,
            "mish": """
        def mish(x):
            return x * torch.tanh(softplus(x))
        """,
        },
    ),
    Right(
        "gelu with torch.special.ndtr and a sigmoid form of the tanh approximation",
        {
            "gelu": """
        def gelu(x, approximate="none"):
            if approximate == "tanh":
                k = math.sqrt(2.0 / math.pi)
                return x * torch.sigmoid(2 * k * (x + 0.044715 * x ** 3))
            return x * torch.special.ndtr(x)
        """
        },
    ),
    Right(
        "PReLU as x times a slope tensor",
        {
            "PReLU": """
        class PReLU(nn.Module):
            def __init__(self, num_parameters=1, init=0.25):
                super().__init__()
                self.weight = nn.Parameter(torch.empty(num_parameters).fill_(init))

            def forward(self, x):
                shape = [1] * x.dim()
                if x.dim() >= 2:
                    shape[1] = -1
                w = self.weight.view(shape) if x.dim() >= 2 else self.weight
                return x * torch.where(x > 0, torch.ones_like(x), w)
        """
        },
    ),
]
