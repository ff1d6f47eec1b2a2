r"""TeX to MathML, for the subset :mod:`scratchnn.formulas` is written in.

Browsers render MathML natively (Chromium since version 109, Firefox and Safari long before), so
the playground's Learn panel shows the documentation's formulas with nothing to load: the server
turns the TeX of :data:`scratchnn.formulas.FORMULAS` into MathML with :func:`to_mathml`, and the
page inserts it. The subset: letters (each its own identifier, as TeX sets them), numbers,
operators, ``^`` and ``_`` (with ``{...}`` groups), a prime, ``\frac`` / ``\dfrac`` /
``\tfrac``, ``\sqrt``, ``\hat``, ``\tilde``, ``\text``, ``\operatorname``, ``\mathbf``,
``\mathcal``, ``\mathrel``, ``\left`` / ``\right``, ``\big`` and ``\Big``, Greek letters, the
named functions (``\log``, ``\max``, ...), big operators (``\sum``, ``\prod``) and a few
symbols. Anything else is a ValueError naming it, so no TeX ever reaches the page as text.
"""

import re
from html import escape

__all__ = ["to_mathml"]

_GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ϵ", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν",
    "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "ϕ", "varphi": "φ",
    "chi": "χ", "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ",
    "Lambda": "Λ", "Pi": "Π", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}
_SYMBOLS = {
    "odot": "⊙", "cdot": "⋅", "times": "×", "pm": "±", "leftarrow": "←", "rightarrow": "→",
    "Longrightarrow": "⟹", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠",
    "sim": "∼", "approx": "≈", "in": "∈", "infty": "∞", "dots": "…", "ldots": "…",
    "partial": "∂", "lVert": "‖", "rVert": "‖", "lfloor": "⌊", "rfloor": "⌋", "{": "{",
    "}": "}", "|": "‖", "_": "_",
}
_FUNCTIONS = {"log", "exp", "max", "min", "tanh", "cos", "sin", "sign"}
_BIG = {"sum": "∑", "prod": "∏"}
_SPACES = {"qquad": "2em", "quad": "1em", ",": "0.167em", ";": "0.278em", " ": "0.25em",
           "!": "0em"}
_FRACTIONS = {"frac": None, "dfrac": "true", "tfrac": "false"}
_ACCENTS = {"hat": "^", "tilde": "~"}
_VARIANTS = {"mathbf": "bold", "mathcal": "script"}
_TOKEN = re.compile(r"\\([A-Za-z]+|.)|(\d+(?:\.\d+)?)|(\s+)|(.)", re.S)


def to_mathml(tex, display=True):
    """The MathML of ``tex`` (a string of the subset above), as one ``<math>`` element.

    Parameters
    ----------
    tex : str
    display : bool, default True
        A block formula (``display="block"``), else one in the line of text.

    Returns
    -------
    str

    Raises
    ------
    TypeError
        If ``tex`` is not a string.
    ValueError
        If ``tex`` uses TeX outside the subset, or its braces do not match.
    """
    if not isinstance(tex, str):
        raise TypeError(f"tex must be a string, got {type(tex).__name__}")
    parser = _Parser(tex)
    body = parser.sequence()
    if parser.peek() is not None:
        stray = "\\right without \\left" if parser.peek()[0] == "right" else "unmatched '}'"
        raise ValueError(f"{stray} in {tex!r}")
    mode = "block" if display else "inline"
    return (f'<math xmlns="http://www.w3.org/1998/Math/MathML" display="{mode}">'
            f"<mrow>{body}</mrow></math>")


class _Parser:
    """A recursive descent over the tokens of one formula."""

    def __init__(self, tex):
        self.tex = tex
        self.tokens, self.ends = [], []  # each token, and where in tex it ends
        for match in _TOKEN.finditer(tex):
            command, number, space, char = match.groups()
            if space is None:
                self.tokens.append((command or "", number or "", char or ""))
                self.ends.append(match.end())
        self.at = 0

    def peek(self):
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self):
        token = self.peek()
        if token is None:
            raise ValueError(f"the formula {self.tex!r} ends too early")
        self.at += 1
        return token

    def sequence(self):
        """Atoms with their scripts until a ``}``, a ``\\right`` or the end."""
        out = []
        while True:
            token = self.peek()
            if token is None or token == ("", "", "}") or token[0] == "right":
                return "".join(out)
            out.append(self.scripted())

    def group(self):
        """A ``{...}`` group or a single atom (an argument or a script)."""
        if self.peek() == ("", "", "{"):
            self.take()
            inner = self.sequence()
            self.closing()
            return f"<mrow>{inner}</mrow>"
        return self.atom()

    def closing(self):
        """The ``}`` that ends a group."""
        if self.peek() != ("", "", "}"):
            stray = ("\\right without \\left" if (self.peek() or ("",))[0] == "right"
                     else "unmatched '{'")
            raise ValueError(f"{stray} in {self.tex!r}")
        self.take()

    def text_group(self):
        """The raw text of a ``{...}`` argument, spaces kept (for ``\\text`` and
        ``\\operatorname``); ``\\_`` is an underscore."""
        if self.take() != ("", "", "{"):
            raise ValueError(f"\\text and \\operatorname take a {{...}} argument in {self.tex!r}")
        start = self.ends[self.at - 1]
        close = self.tex.find("}", start)
        if close < 0:
            raise ValueError(f"unmatched '{{' in {self.tex!r}")
        while self.at < len(self.tokens) and self.ends[self.at] <= close + 1:
            self.at += 1
        return self.tex[start:close].replace("\\_", "_")

    def scripted(self):
        base, big = self.atom(with_kind=True)
        sub = sup = None
        while self.peek() in (("", "", "_"), ("", "", "^"), ("", "", "'")):
            _, _, char = self.take()
            if char == "'":
                base = f"<msup>{base}<mo>′</mo></msup>"
            elif char == "_":
                sub = self.group()
            else:
                sup = self.group()
        if sub is None and sup is None:
            return base
        tag = "munderover" if big else "msubsup"
        if sub is not None and sup is not None:
            return f"<{tag}>{base}{sub}{sup}</{tag}>"
        if sub is not None:
            return f"<{'munder' if big else 'msub'}>{base}{sub}</{'munder' if big else 'msub'}>"
        return f"<{'mover' if big else 'msup'}>{base}{sup}</{'mover' if big else 'msup'}>"

    def atom(self, with_kind=False):
        command, number, char = self.take()
        big = False
        if number:
            out = f"<mn>{number}</mn>"
        elif char:
            out = self.character(char)
        else:
            out, big = self.command(command)
        return (out, big) if with_kind else out

    def character(self, char):
        if char == "{":
            inner = self.sequence()
            self.closing()
            return f"<mrow>{inner}</mrow>"
        if char in "}^_":
            raise ValueError(f"a misplaced {char!r} in {self.tex!r}")
        if char.isalpha():
            return f"<mi>{escape(char)}</mi>"
        return f"<mo>{escape('−' if char == '-' else char)}</mo>"

    def command(self, name):
        """The MathML of ``\\name`` (and its arguments); (markup, whether a big operator)."""
        if name in _GREEK:
            return f"<mi>{_GREEK[name]}</mi>", False
        if name in _SYMBOLS:
            return f"<mo>{escape(_SYMBOLS[name])}</mo>", False
        if name in _FUNCTIONS:
            return f"<mi>{name}</mi>", name in ("max", "min")
        if name in _BIG:
            return f'<mo largeop="true" movablelimits="true">{_BIG[name]}</mo>', True
        if name in _SPACES:
            return f'<mspace width="{_SPACES[name]}"></mspace>', False
        if name in _FRACTIONS:
            top, bottom = self.group(), self.group()
            style = _FRACTIONS[name]
            fraction = f"<mfrac>{top}{bottom}</mfrac>"
            if style is not None:
                fraction = f'<mstyle displaystyle="{style}">{fraction}</mstyle>'
            return fraction, False
        if name == "sqrt":
            return f"<msqrt>{self.group()}</msqrt>", False
        if name in _ACCENTS:
            return (f'<mover accent="true">{self.group()}<mo>{_ACCENTS[name]}</mo></mover>',
                    False)
        if name in _VARIANTS:
            inner = self.group()
            return (f'<mstyle mathvariant="{_VARIANTS[name]}">{inner}</mstyle>'
                    .replace("<mi>", f'<mi mathvariant="{_VARIANTS[name]}">')
                    .replace("<mn>", f'<mn mathvariant="{_VARIANTS[name]}">'), False)
        if name == "text":
            return f"<mtext>{escape(self.text_group())}</mtext>", False
        if name == "operatorname":
            return f"<mi>{escape(self.text_group())}</mi>", False
        if name == "mathrel":
            return self.group(), False
        if name in ("big", "Big", "bigg", "Bigg"):
            return self.atom(), False
        if name == "left":
            opening = self.delimiter()
            inner = self.sequence()
            if (self.peek() or ("",))[0] != "right":
                raise ValueError(f"\\left without \\right in {self.tex!r}")
            self.take()
            closing = self.delimiter()
            return f"<mrow>{opening}{inner}{closing}</mrow>", False
        raise ValueError(f"the formula {self.tex!r} uses \\{name}, which the playground's "
                         f"MathML converter does not read")

    def delimiter(self):
        command, _, char = self.take()
        if command and command not in _SYMBOLS:
            raise ValueError(f"the formula {self.tex!r} uses \\{command} as a delimiter, which "
                             f"the playground's MathML converter does not read")
        symbol = _SYMBOLS[command] if command else char
        if symbol == ".":
            return ""
        return f'<mo stretchy="true">{escape(symbol)}</mo>'
