"""ex03_vanishing_gradient: wrong and right answers."""

from catalog import Right, Wrong

INIT_HE = {"he_normal_core", "he_normal_edge"}
INIT_XAVIER = {"xavier_uniform_core", "xavier_uniform_edge"}
NORMS = {"layer_grad_norms_core", "layer_grad_norms_structure", "layer_grad_norms_state"}

WRONG = [
    Wrong(
        "sigmoid_chain_bound: 1/2 per layer",
        {
            "sigmoid_chain_bound": """
        def sigmoid_chain_bound(n_layers):
            return 0.5 ** n_layers
        """
        },
        {"sigmoid_chain_bound_core", "sigmoid_chain_bound_edge"},
    ),
    Wrong(
        "sigmoid_chain_bound: one layer too many",
        {
            "sigmoid_chain_bound": """
        def sigmoid_chain_bound(n_layers):
            return 0.25 ** (n_layers + 1)
        """
        },
        {"sigmoid_chain_bound_core", "sigmoid_chain_bound_edge"},
    ),
    Wrong(
        "sigmoid_chain_bound: 4 ** -n is the int 1 for n = 0",
        {
            "sigmoid_chain_bound": """
        def sigmoid_chain_bound(n_layers):
            return 4 ** -n_layers
        """
        },
        {"sigmoid_chain_bound_edge"},
    ),
    Wrong(
        "sigmoid_chain_bound: float32 underflows",
        {
            "sigmoid_chain_bound": """
        def sigmoid_chain_bound(n_layers):
            return float(np.float32(0.25) ** np.float32(n_layers))
        """
        },
        {"sigmoid_chain_bound_core", "sigmoid_chain_bound_edge"},
    ),
    Wrong(
        "sigmoid_chain_bound: returns a tensor",
        {
            "sigmoid_chain_bound": """
        def sigmoid_chain_bound(n_layers):
            return torch.tensor(0.25, dtype=torch.float64) ** n_layers
        """
        },
        {"sigmoid_chain_bound_core", "sigmoid_chain_bound_edge"},
    ),
    Wrong(
        "layer_grad_norms: old gradients not zeroed",
        {
            "layer_grad_norms": """
        def layer_grad_norms(model, x, y, loss_fn):
            loss_fn(model(x), y).backward()
            return [m.weight.grad.norm().item() for m in model.modules()
                    if isinstance(m, nn.Linear)]
        """
        },
        {"layer_grad_norms_state"},
    ),
    Wrong(
        "layer_grad_norms: norms of the weights, not of their gradients",
        {
            "layer_grad_norms": """
        def layer_grad_norms(model, x, y, loss_fn):
            model.zero_grad()
            loss_fn(model(x), y).backward()
            return [m.weight.norm().item() for m in model.modules() if isinstance(m, nn.Linear)]
        """
        },
        NORMS,
    ),
    Wrong(
        "layer_grad_norms: includes the biases",
        {
            "layer_grad_norms": """
        def layer_grad_norms(model, x, y, loss_fn):
            model.zero_grad()
            loss_fn(model(x), y).backward()
            return [p.grad.norm().item() for p in model.parameters()]
        """
        },
        NORMS,
    ),
    Wrong(
        "layer_grad_norms: only the top-level children",
        {
            "layer_grad_norms": """
        def layer_grad_norms(model, x, y, loss_fn):
            model.zero_grad()
            loss_fn(model(x), y).backward()
            return [m.weight.grad.norm().item() for m in model.children()
                    if isinstance(m, nn.Linear)]
        """
        },
        {"layer_grad_norms_structure", "layer_grad_norms_state"},
    ),
    Wrong(
        "layer_grad_norms: takes an SGD step",
        {
            "layer_grad_norms": """
        def layer_grad_norms(model, x, y, loss_fn):
            opt = torch.optim.SGD(model.parameters(), lr=0.1)
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
            return [m.weight.grad.norm().item() for m in model.modules()
                    if isinstance(m, nn.Linear)]
        """
        },
        NORMS,
    ),
    Wrong(
        "layer_grad_norms: returns tensors",
        {
            "layer_grad_norms": """
        def layer_grad_norms(model, x, y, loss_fn):
            model.zero_grad()
            loss_fn(model(x), y).backward()
            return [m.weight.grad.norm() for m in model.modules() if isinstance(m, nn.Linear)]
        """
        },
        NORMS,
    ),
    Wrong(
        "he_normal_: uses fan_out",
        {
            "he_normal_": """
        def he_normal_(w):
            with torch.no_grad():
                return w.normal_(0.0, math.sqrt(2.0 / w.shape[0]))
        """
        },
        INIT_HE,
    ),
    Wrong(
        "he_normal_: variance used as the std",
        {
            "he_normal_": """
        def he_normal_(w):
            with torch.no_grad():
                return w.normal_(0.0, 2.0 / w.shape[1])
        """
        },
        INIT_HE,
    ),
    Wrong(
        "he_normal_: uniform with the right std",
        {
            "he_normal_": """
        def he_normal_(w):
            a = math.sqrt(3) * math.sqrt(2.0 / w.shape[1])
            with torch.no_grad():
                return w.uniform_(-a, a)
        """
        },
        INIT_HE,
    ),
    Wrong(
        "he_normal_: a new tensor instead of filling w",
        {
            "he_normal_": """
        def he_normal_(w):
            return torch.randn(w.shape, dtype=w.dtype) * math.sqrt(2.0 / w.shape[1])
        """
        },
        INIT_HE,
    ),
    Wrong(
        "he_normal_: no torch.no_grad() on a Parameter",
        {
            "he_normal_": """
        def he_normal_(w):
            return w.normal_(0.0, math.sqrt(2.0 / w.shape[1]))
        """
        },
        {"he_normal_edge"},
    ),
    Wrong(
        "he_normal_: reseeds on every call",
        {
            "he_normal_": """
        def he_normal_(w):
            torch.manual_seed(0)
            with torch.no_grad():
                return w.normal_(0.0, math.sqrt(2.0 / w.shape[1]))
        """
        },
        INIT_HE,
    ),
    Wrong(
        "he_normal_: torch.nn.init.normal_",
        {
            "he_normal_": """
        def he_normal_(w):
            return nn.init.normal_(w, 0.0, math.sqrt(2.0 / w.shape[1]))
        """
        },
        INIT_HE,
        status="forbidden",
    ),
    Wrong(
        "xavier_uniform_: bound without the square root",
        {
            "xavier_uniform_": """
        def xavier_uniform_(w):
            a = 6.0 / (w.shape[0] + w.shape[1])
            with torch.no_grad():
                return w.uniform_(-a, a)
        """
        },
        INIT_XAVIER,
    ),
    Wrong(
        "xavier_uniform_: fan_in only",
        {
            "xavier_uniform_": """
        def xavier_uniform_(w):
            a = math.sqrt(6.0 / (2 * w.shape[1]))
            with torch.no_grad():
                return w.uniform_(-a, a)
        """
        },
        INIT_XAVIER,
    ),
    Wrong(
        "xavier_uniform_: normal with the Xavier variance",
        {
            "xavier_uniform_": """
        def xavier_uniform_(w):
            with torch.no_grad():
                return w.normal_(0.0, math.sqrt(2.0 / (w.shape[0] + w.shape[1])))
        """
        },
        INIT_XAVIER,
    ),
    Wrong(
        "xavier_uniform_: uniform on [0, a]",
        {
            "xavier_uniform_": """
        def xavier_uniform_(w):
            a = math.sqrt(6.0 / (w.shape[0] + w.shape[1]))
            with torch.no_grad():
                return w.uniform_(0.0, a)
        """
        },
        INIT_XAVIER,
    ),
    Wrong(
        "xavier_uniform_: NumPy values cast to float32",
        {
            "xavier_uniform_": """
        def xavier_uniform_(w):
            a = math.sqrt(6.0 / (w.shape[0] + w.shape[1]))
            with torch.no_grad():
                w.data = torch.from_numpy(np.random.uniform(-a, a, w.shape).astype(np.float32))
            return w
        """
        },
        {"xavier_uniform_edge"},
    ),
    Wrong(
        "xavier_uniform_: torch.nn.init.uniform_",
        {
            "xavier_uniform_": """
        def xavier_uniform_(w):
            a = math.sqrt(6.0 / (w.shape[0] + w.shape[1]))
            return torch.nn.init.uniform_(w, -a, a)
        """
        },
        INIT_XAVIER,
        status="forbidden",
    ),
]

RIGHT = [
    Right(
        "sigmoid_chain_bound: a loop of multiplications",
        {
            "sigmoid_chain_bound": """
        def sigmoid_chain_bound(n_layers):
            bound = 1.0
            for _ in range(n_layers):
                bound *= 0.25
            return bound
        """
        },
    ),
    Right(
        "layer_grad_norms: torch.autograd.grad, .grad untouched",
        {
            "layer_grad_norms": """
        def layer_grad_norms(model, x, y, loss_fn):
            weights = [m.weight for m in model.modules() if isinstance(m, nn.Linear)]
            grads = torch.autograd.grad(loss_fn(model(x), y), weights)
            return [float(torch.sqrt((g ** 2).sum())) for g in grads]
        """
        },
    ),
    Right(
        "initializers: values drawn with torch.randn / torch.rand and copied in",
        {
            "he_normal_": """
        def he_normal_(w):
            values = torch.randn(w.shape, dtype=w.dtype) * (2.0 / w.size(1)) ** 0.5
            with torch.no_grad():
                w.copy_(values)
            return w
        """,
            "xavier_uniform_": """
        def xavier_uniform_(w):
            fan_out, fan_in = w.shape
            a = (6.0 / (fan_in + fan_out)) ** 0.5
            with torch.no_grad():
                w.copy_((2 * torch.rand(w.shape, dtype=w.dtype) - 1) * a)
            return w
        """,
        },
    ),
]
