"""``scratchnn demo`` and ``scratchnn playground``: built-in datasets trained and shown."""

from __future__ import annotations

from ._common import seed_int

# --------------------------------------------------------------------------- demo


def _demos():
    from .. import demo

    return {
        "moons": demo.run_moons_demo,
        "circles": demo.run_circles_demo,
        "spiral": demo.run_spiral_demo,
        "iris": demo.run_iris_demo,
        "optimizers": demo.run_optimizers_demo,
    }


_DEMO_NAMES = ("moons", "circles", "spiral", "iris", "optimizers")


def add_demo(subparsers):
    parser = subparsers.add_parser(
        "demo",
        help="train a small network on a built-in dataset and save plots",
        description="Run a built-in demo and save its pictures: moons (the seed README's demo), "
        "circles, spiral (three classes), iris (multiclass on four measured features; needs "
        "scikit-learn for the data) or optimizers (gd, momentum, RMSprop and Adam from the same "
        "weights, as a PNG and an animated GIF).",
    )
    parser.add_argument(
        "name", nargs="?", default="moons", choices=_DEMO_NAMES,
        help="which demo (default: moons)",
    )
    parser.add_argument(
        "--out-dir", default="demo-output", help="folder for the images (default: demo-output)"
    )
    parser.add_argument(
        "--seed", type=seed_int, default=0, help="seed for the data and the network (default: 0)"
    )
    parser.add_argument(
        "--quiet", action="store_true", help="do not report the cost while training"
    )
    parser.set_defaults(handler=_run_demo)


def _run_demo(args):
    _demos()[args.name](out_dir=args.out_dir, seed=args.seed, print_cost=not args.quiet)
    return 0



def add_playground(subparsers):
    parser = subparsers.add_parser(
        "playground", help="watch the network learn in the browser (a local web server)",
        description="Serve the playground on this machine, print its URL and open it; Ctrl-C "
        "stops it. See the documentation's Playground page.")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default: 127.0.0.1, this machine only; "
                        "::1 for IPv6 loopback)")
    parser.add_argument("--no-browser", action="store_true", help="only print the URL")
    parser.set_defaults(handler=_run_playground)


def _run_playground(args):
    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port must be in 0..65535 (0: a free port), got {args.port}")
    from ..playground import serve

    return serve(args.host, args.port, open_browser=not args.no_browser)
