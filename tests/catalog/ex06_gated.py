"""ex06_gated: wrong and right answers."""

from catalog import Right, Wrong

GLU = {"glu_core", "glu_edge"}
REGLU = {"reglu_core", "reglu_edge"}
GEGLU = {"geglu_core", "geglu_edge"}
SWIGLU = {"swiglu_core", "swiglu_edge"}
WIDTH = {"matched_hidden_core", "matched_hidden_edge"}
BLOCK = {"gated_ff_core", "gated_ff_edge"}

# the reference's __init__ and forward, to vary one line at a time
BLOCK_INIT = """
class GatedFeedForward(nn.Module):
    def __init__(self, d_model, hidden, activation="swiglu", bias=False):
        super().__init__()
        gates = {"glu": torch.sigmoid, "reglu": torch.relu, "geglu": F.gelu, "swiglu": F.silu}
        if activation not in gates:
            raise ValueError(f"unknown activation {activation!r}")
        self.phi = gates[activation]
        self.w_gate = nn.Linear(d_model, hidden, bias=bias)
        self.w_up = nn.Linear(d_model, hidden, bias=bias)
        self.w_down = nn.Linear(hidden, d_model, bias=bias)
"""
BLOCK_FORWARD = """
    def forward(self, x):
        return self.w_down(self.phi(self.w_gate(x)) * self.w_up(x))
"""


def block(init: str = BLOCK_INIT, forward: str = BLOCK_FORWARD) -> dict[str, str]:
    return {"GatedFeedForward": init.strip("\n") + "\n\n" + forward.strip("\n")}


WRONG = [
    # glu ---------------------------------------------------------------------------------
    Wrong(
        "glu: halves swapped, the first half gates the second",
        {
            "glu": """
        def glu(x, dim=-1):
            if x.shape[dim] % 2:
                raise RuntimeError("odd size")
            a, b = torch.chunk(x, 2, dim=dim)
            return b * torch.sigmoid(a)
        """
        },
        GLU,
    ),
    Wrong(
        "glu: interleaved halves x[..., ::2] and x[..., 1::2]",
        {
            "glu": """
        def glu(x, dim=-1):
            if x.shape[dim] % 2:
                raise RuntimeError("odd size")
            a, b = x[..., ::2], x[..., 1::2]
            return a * torch.sigmoid(b)
        """
        },
        GLU,
    ),
    Wrong(
        "glu: torch.chunk without the odd-size check",
        {
            "glu": """
        def glu(x, dim=-1):
            a, b = torch.chunk(x, 2, dim=dim)
            return a * torch.sigmoid(b)
        """
        },
        {"glu_edge"},
    ),
    Wrong(
        "glu: an odd size raises ValueError, not RuntimeError",
        {
            "glu": """
        def glu(x, dim=-1):
            if x.shape[dim] % 2:
                raise ValueError("the size along dim must be even")
            a, b = torch.chunk(x, 2, dim=dim)
            return a * torch.sigmoid(b)
        """
        },
        {"glu_edge"},
    ),
    Wrong(
        "glu: always splits the last dimension",
        {
            "glu": """
        def glu(x, dim=-1):
            if x.shape[-1] % 2:
                raise RuntimeError("odd size")
            a, b = torch.chunk(x, 2, dim=-1)
            return a * torch.sigmoid(b)
        """
        },
        {"glu_edge"},
    ),
    Wrong(
        "glu: sigmoid by hand, 1 / (1 + exp(-b)), NaN gradient at b = -1000",
        {
            "glu": """
        def glu(x, dim=-1):
            if x.shape[dim] % 2:
                raise RuntimeError("odd size")
            a, b = torch.chunk(x, 2, dim=dim)
            return a / (1 + torch.exp(-b))
        """
        },
        {"glu_edge"},
    ),
    Wrong(
        "glu: F.glu",
        {
            "glu": """
        def glu(x, dim=-1):
            return torch.nn.functional.glu(x, dim)
        """
        },
        GLU,
        status="forbidden",
    ),
    # reglu ---------------------------------------------------------------------------------
    Wrong(
        "reglu: torch.clamp(b, min=0) has slope 1 at a gate of 0",
        {
            "reglu": """
        def reglu(x, dim=-1):
            if x.shape[dim] % 2:
                raise RuntimeError("odd size")
            a, b = torch.chunk(x, 2, dim=dim)
            return a * torch.clamp(b, min=0)
        """
        },
        {"reglu_edge"},
    ),
    Wrong(
        "reglu: torch.where(b > 0, a * b, 0) turns NaN into 0",
        {
            "reglu": """
        def reglu(x, dim=-1):
            if x.shape[dim] % 2:
                raise RuntimeError("odd size")
            a, b = torch.chunk(x, 2, dim=dim)
            return torch.where(b > 0, a * b, torch.zeros_like(b))
        """
        },
        {"reglu_edge"},
    ),
    Wrong(
        "reglu: ReLU on the value, not the gate",
        {
            "reglu": """
        def reglu(x, dim=-1):
            if x.shape[dim] % 2:
                raise RuntimeError("odd size")
            a, b = torch.chunk(x, 2, dim=dim)
            return torch.relu(a) * b
        """
        },
        REGLU,
    ),
    Wrong(
        "reglu: relu(x) without the split",
        {
            "reglu": """
        def reglu(x, dim=-1):
            if x.shape[dim] % 2:
                raise RuntimeError("odd size")
            return x * torch.relu(x)
        """
        },
        REGLU,
    ),
    # geglu ---------------------------------------------------------------------------------
    Wrong(
        "geglu: always the tanh approximation",
        {
            "geglu": """
        def geglu(x, dim=-1, approximate="none"):
            if x.shape[dim] % 2:
                raise RuntimeError("odd size")
            a, b = torch.chunk(x, 2, dim=dim)
            return a * F.gelu(b, approximate="tanh")
        """
        },
        GEGLU,
    ),
    Wrong(
        "geglu: approximate ignored, always exact",
        {
            "geglu": """
        def geglu(x, dim=-1, approximate="none"):
            if x.shape[dim] % 2:
                raise RuntimeError("odd size")
            a, b = torch.chunk(x, 2, dim=dim)
            return a * 0.5 * b * (1 + torch.erf(b / math.sqrt(2)))
        """
        },
        {"geglu_edge"},
    ),
    Wrong(
        "geglu: erf(b) without the sqrt(2)",
        {
            "geglu": """
        def geglu(x, dim=-1, approximate="none"):
            if x.shape[dim] % 2:
                raise RuntimeError("odd size")
            a, b = torch.chunk(x, 2, dim=dim)
            if approximate == "tanh":
                return a * F.gelu(b, approximate="tanh")
            return a * 0.5 * b * (1 + torch.erf(b))
        """
        },
        GEGLU,
    ),
    Wrong(
        "geglu: GELU on the value, not the gate",
        {
            "geglu": """
        def geglu(x, dim=-1, approximate="none"):
            if x.shape[dim] % 2:
                raise RuntimeError("odd size")
            a, b = torch.chunk(x, 2, dim=dim)
            return F.gelu(a, approximate=approximate) * b
        """
        },
        GEGLU,
    ),
    # swiglu ---------------------------------------------------------------------------------
    Wrong(
        "swiglu: sigmoid where SiLU belongs",
        {
            "swiglu": """
        def swiglu(x, dim=-1):
            if x.shape[dim] % 2:
                raise RuntimeError("odd size")
            a, b = torch.chunk(x, 2, dim=dim)
            return a * torch.sigmoid(b)
        """
        },
        SWIGLU,
    ),
    Wrong(
        "swiglu: gating the wrong half, silu(a) * b",
        {
            "swiglu": """
        def swiglu(x, dim=-1):
            if x.shape[dim] % 2:
                raise RuntimeError("odd size")
            a, b = torch.chunk(x, 2, dim=dim)
            return F.silu(a) * b
        """
        },
        SWIGLU,
    ),
    Wrong(
        "swiglu: SiLU by hand, b / (1 + exp(-b)), NaN gradient at b = -1000",
        {
            "swiglu": """
        def swiglu(x, dim=-1):
            if x.shape[dim] % 2:
                raise RuntimeError("odd size")
            a, b = torch.chunk(x, 2, dim=dim)
            return a * b / (1 + torch.exp(-b))
        """
        },
        {"swiglu_edge"},
    ),
    Wrong(
        "swiglu: F.glu of the gate doubled, silu(b) = glu([b, b])",
        {
            "swiglu": """
        def swiglu(x, dim=-1):
            a, b = torch.chunk(x, 2, dim=dim)
            return a * F.glu(torch.cat([b, b], dim=dim), dim=dim)
        """
        },
        SWIGLU,
        status="forbidden",
    ),
    # matched_hidden ---------------------------------------------------------------------------
    Wrong(
        "matched_hidden: rounding down to a multiple",
        {
            "matched_hidden": """
        def matched_hidden(d_model, expansion=4, multiple_of=1):
            hidden = int(2 * expansion * d_model / 3)
            return multiple_of * (hidden // multiple_of)
        """
        },
        WIDTH,
    ),
    Wrong(
        "matched_hidden: multiple_of ignored",
        {
            "matched_hidden": """
        def matched_hidden(d_model, expansion=4, multiple_of=1):
            return int(2 * expansion * d_model / 3)
        """
        },
        WIDTH,
    ),
    Wrong(
        "matched_hidden: round() to the nearest integer instead of int()",
        {
            "matched_hidden": """
        def matched_hidden(d_model, expansion=4, multiple_of=1):
            hidden = round(2 * expansion * d_model / 3)
            return multiple_of * ((hidden + multiple_of - 1) // multiple_of)
        """
        },
        WIDTH,
    ),
    Wrong(
        "matched_hidden: 8 * d_model / 3, expansion ignored",
        {
            "matched_hidden": """
        def matched_hidden(d_model, expansion=4, multiple_of=1):
            hidden = int(8 * d_model / 3)
            return multiple_of * ((hidden + multiple_of - 1) // multiple_of)
        """
        },
        {"matched_hidden_edge"},
    ),
    Wrong(
        "matched_hidden: np.ceil returns a float",
        {
            "matched_hidden": """
        def matched_hidden(d_model, expansion=4, multiple_of=1):
            hidden = int(2 * expansion * d_model / 3)
            return multiple_of * np.ceil(hidden / multiple_of)
        """
        },
        WIDTH,
    ),
    Wrong(
        "matched_hidden: (h // m + 1) * m bumps an exact multiple",
        {
            "matched_hidden": """
        def matched_hidden(d_model, expansion=4, multiple_of=1):
            hidden = int(2 * expansion * d_model / 3)
            return (hidden // multiple_of + 1) * multiple_of
        """
        },
        WIDTH,
    ),
    # GatedFeedForward ------------------------------------------------------------------------
    Wrong(
        "GatedFeedForward: a bias where none is asked (nn.Linear's default)",
        block(init=BLOCK_INIT.replace("bias=bias", "bias=True")),
        BLOCK,
    ),
    Wrong(
        "GatedFeedForward: bias=True ignored",
        block(init=BLOCK_INIT.replace("bias=bias", "bias=False")),
        {"gated_ff_edge"},
    ),
    Wrong(
        "GatedFeedForward: the gate and the value swapped",
        block(
            forward="""
    def forward(self, x):
        return self.w_down(self.phi(self.w_up(x)) * self.w_gate(x))
"""
        ),
        BLOCK,
    ),
    Wrong(
        "GatedFeedForward: sigmoid where SiLU belongs in swiglu",
        block(init=BLOCK_INIT.replace('"swiglu": F.silu', '"swiglu": torch.sigmoid')),
        BLOCK,
    ),
    Wrong(
        "GatedFeedForward: the tanh GELU in geglu",
        block(
            init=BLOCK_INIT.replace(
                '"geglu": F.gelu', '"geglu": lambda t: F.gelu(t, approximate="tanh")'
            )
        ),
        BLOCK,
    ),
    Wrong(
        "GatedFeedForward: Hugging Face's names gate_proj, up_proj, down_proj",
        block(
            init=BLOCK_INIT.replace("w_gate", "gate_proj")
            .replace("w_up", "up_proj")
            .replace("w_down", "down_proj"),
            forward="""
    def forward(self, x):
        return self.down_proj(self.phi(self.gate_proj(x)) * self.up_proj(x))
""",
        ),
        BLOCK,
    ),
    Wrong(
        "GatedFeedForward: an unknown activation falls back to SiLU",
        block(
            init=BLOCK_INIT.replace(
                """        if activation not in gates:
            raise ValueError(f"unknown activation {activation!r}")
        self.phi = gates[activation]""",
                "        self.phi = gates.get(activation, F.silu)",
            )
        ),
        {"gated_ff_edge"},
    ),
    Wrong(
        "GatedFeedForward: w_gate and w_up fused in one nn.Linear(d_model, 2 * hidden)",
        block(
            init=BLOCK_INIT.replace(
                """        self.w_gate = nn.Linear(d_model, hidden, bias=bias)
        self.w_up = nn.Linear(d_model, hidden, bias=bias)""",
                "        self.w_gate_up = nn.Linear(d_model, 2 * hidden, bias=bias)",
            ),
            forward="""
    def forward(self, x):
        gate, up = self.w_gate_up(x).chunk(2, dim=-1)
        return self.w_down(self.phi(gate) * up)
""",
        ),
        BLOCK,
    ),
    Wrong(
        "GatedFeedForward: w_down built d_model -> hidden, used transposed",
        block(
            init=BLOCK_INIT.replace(
                "self.w_down = nn.Linear(hidden, d_model, bias=bias)",
                "self.w_down = nn.Linear(d_model, hidden, bias=bias)",
            ),
            forward="""
    def forward(self, x):
        h = self.phi(self.w_gate(x)) * self.w_up(x)
        return h @ self.w_down.weight
""",
        ),
        BLOCK,
    ),
]

RIGHT = [
    Right(
        "glu: x.narrow on both halves",
        {
            "glu": """
        def glu(x, dim=-1):
            n = x.shape[dim]
            if n % 2 == 1:
                raise RuntimeError(f"Halving dimension must be even, dimension {dim} is size {n}")
            half = n // 2
            return x.narrow(dim, 0, half) * torch.sigmoid(x.narrow(dim, half, half))
        """
        },
    ),
    Right(
        "glu: movedim to the end, slices, torch.special.expit",
        {
            "glu": """
        def glu(x, dim=-1):
            moved = x.movedim(dim, -1)
            n = moved.shape[-1]
            if n % 2:
                raise RuntimeError("glu: odd size")
            a, b = moved[..., : n // 2], moved[..., n // 2 :]
            return (a * torch.special.expit(b)).movedim(-1, dim)
        """
        },
    ),
    Right(
        "reglu: torch.split and F.relu",
        {
            "reglu": """
        def reglu(x, dim=-1):
            size = x.size(dim)
            if size % 2 != 0:
                raise RuntimeError("reglu needs an even size along dim")
            a, b = torch.split(x, size // 2, dim=dim)
            return a * F.relu(b)
        """
        },
    ),
    Right(
        "geglu: F.gelu with the approximate argument",
        {
            "geglu": """
        def geglu(x, dim=-1, approximate="none"):
            if x.shape[dim] % 2:
                raise RuntimeError("odd size")
            a, b = x.chunk(2, dim)
            return a * F.gelu(b, approximate=approximate)
        """
        },
    ),
    Right(
        "swiglu: a * F.silu(b)",
        {
            "swiglu": """
        def swiglu(x, dim=-1):
            if x.shape[dim] % 2:
                raise RuntimeError("odd size")
            a, b = x.tensor_split(2, dim=dim)
            return a * F.silu(b)
        """
        },
    ),
    Right(
        "swiglu: through the notebook's own glu, glu([a * b, b])",
        {
            "swiglu": """
        def swiglu(x, dim=-1):
            if x.shape[dim] % 2:
                raise RuntimeError("odd size")
            a, b = torch.chunk(x, 2, dim=dim)
            return glu(torch.cat([a * b, b], dim=dim), dim=dim)
        """
        },
    ),
    Right(
        "matched_hidden: integer division and math.ceil",
        {
            "matched_hidden": """
        def matched_hidden(d_model, expansion=4, multiple_of=1):
            hidden = 2 * expansion * d_model // 3
            return math.ceil(hidden / multiple_of) * multiple_of
        """
        },
    ),
    Right(
        "matched_hidden: -(-h // m) and an early return",
        {
            "matched_hidden": """
        def matched_hidden(d_model, expansion=4, multiple_of=1):
            h = (2 * expansion * d_model) // 3
            if h % multiple_of == 0:
                return h
            return -(-h // multiple_of) * multiple_of
        """
        },
    ),
    Right(
        "GatedFeedForward: layers made in a loop, the notebook's own gated functions",
        {
            "GatedFeedForward": """
        class GatedFeedForward(nn.Module):
            def __init__(self, d_model, hidden, activation="swiglu", bias=False):
                super().__init__()
                if activation not in ("glu", "reglu", "geglu", "swiglu"):
                    raise ValueError(activation)
                self.activation = activation
                sizes = {"w_gate": (d_model, hidden), "w_up": (d_model, hidden),
                         "w_down": (hidden, d_model)}
                for name, (n_in, n_out) in sizes.items():
                    self.add_module(name, nn.Linear(n_in, n_out, bias=bias))

            def forward(self, x):
                unit = {"glu": glu, "reglu": reglu, "geglu": geglu, "swiglu": swiglu}
                both = torch.cat([self.w_up(x), self.w_gate(x)], dim=-1)
                return self.w_down(unit[self.activation](both, dim=-1))
        """
        },
    ),
    Right(
        "GatedFeedForward: if/elif on the activation in forward, F.linear",
        {
            "GatedFeedForward": """
        class GatedFeedForward(nn.Module):
            def __init__(self, d_model, hidden, activation="swiglu", bias=False):
                super().__init__()
                if activation not in {"glu", "reglu", "geglu", "swiglu"}:
                    raise ValueError(f"unknown activation: {activation}")
                self.activation = activation
                self.w_gate = nn.Linear(d_model, hidden, bias)
                self.w_up = nn.Linear(d_model, hidden, bias)
                self.w_down = nn.Linear(hidden, d_model, bias)

            def forward(self, x):
                g = F.linear(x, self.w_gate.weight, self.w_gate.bias)
                if self.activation == "glu":
                    g = torch.sigmoid(g)
                elif self.activation == "reglu":
                    g = F.relu(g)
                elif self.activation == "geglu":
                    g = F.gelu(g)
                else:
                    g = g * torch.sigmoid(g)
                return self.w_down(g * self.w_up(x))
        """
        },
    ),
]
