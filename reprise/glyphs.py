"""The glyph world's source pool: one class per visually distinct character.

The embedded default has no ImageNet, so its pre-training data is rendered here from the
TrueType fonts that matplotlib ships (DejaVu, STIX and Computer Modern families): digits,
Latin, Greek and Cyrillic letters, math symbols, arrows and other symbols, each class tagged
with a *concept* (the analogue of ImageNet's bird or dog groups).

Images look like MNIST: 32×32 grayscale ``uint8``, a white glyph on a black background, capital
letters and digits about 20/28 of the image high, centred by centre of mass. Letters keep their
size within a font, so a lowercase ``c`` is smaller than a capital ``C``; a glyph whose larger
side would exceed 80% of the image is shrunk to fit.

Look-alikes are one class. Every candidate character is rendered without augmentation in the
four reference fonts (DejaVu Sans, DejaVu Serif, DejaVu Sans Mono, STIX General); the distance
between two renderings ``a`` and ``b`` (floats in 0..1) is the normalised L1 distance
``sum|a - b| / sum(a + b)`` (0: identical, 1: no overlap). Candidates are visited in concept
priority order (digit, latin_upper, latin_lower, greek_upper, greek_lower, cyrillic_upper,
cyrillic_lower, math_symbol, arrow, other_symbol); a candidate joins the first class whose first
character is closer than ``MERGE_DISTANCE`` in *every* reference font that draws both, and
otherwise opens a class of its own. A class therefore takes the name and concept of its first
character: Latin ``A``, Greek ``Α`` and Cyrillic ``А`` are class ``A`` of concept
``latin_upper``. Digits come first, so the ten digits are always the ten ``digit`` classes; the
fonts draw ``0`` narrower than ``O``, and nothing merges into ``0``.

The Computer Modern fonts use TeX's encoding, not Unicode (their cmap sends ``<`` to ``¡``), so
they draw a character only where the glyph's PostScript name is the Adobe Glyph List name of
that code point. A font never draws a character that its cmap leaves out, that renders empty,
or that renders as the font's ``.notdef`` box.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Sequence

import matplotlib
import numpy as np
import pandas as pd
from fontTools import agl
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage
from tqdm import tqdm

from reprise.errors import InputError


def _chars(first: str, last: str, skip: str = "") -> str:
    """Every character from ``first`` to ``last`` inclusive, in code point order, minus ``skip``."""
    return "".join(chr(c) for c in range(ord(first), ord(last) + 1) if chr(c) not in skip)


# Candidate characters per concept, in priority order (see the module docstring).
_CANDIDATES: tuple[tuple[str, str], ...] = (
    ("digit", "0123456789"),
    ("latin_upper", _chars("A", "Z")),
    ("latin_lower", _chars("a", "z")),
    ("greek_upper", _chars("Α", "Ω", skip="\u03a2")),  # U+03A2 is unassigned
    ("greek_lower", _chars("α", "ω")),
    ("cyrillic_upper", _chars("А", "Е") + "Ё" + _chars("Ж", "Я")),
    ("cyrillic_lower", _chars("а", "е") + "ё" + _chars("ж", "я")),
    (
        "math_symbol",
        "+−×÷=≠≈≡≅∼≤≥<>±∓∑∏∐∫∬∮√∞∂∇∈∉∋⊂⊃⊆⊇∪∩∀∃∄∅¬∧∨⊕⊗⊙⊥∥∠∝∴∵°ℵℏℓ℘ℜℑ⋆∘⌈⌉⌊⌋⟨⟩⊢⊨⊤≺≻≪≫",
    ),
    ("arrow", "→←↑↓↔↕⇒⇐⇔⇑⇓⇕↗↘↙↖↦↩↪↺↻⇄⇆↰↱"),
    (
        "other_symbol",
        "§¶†‡©®™@#$%&*?!¿¡€£¥¢()[]{}/\\|~‰♠♣♥♦★☆✓✗♪♫☺☼♀♂■□▲△▼▽●○◆◇",
    ),
)

CONCEPTS: tuple[str, ...] = tuple(concept for concept, _ in _CANDIDATES)

FONT_FILES: tuple[str, ...] = (
    "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSans-Oblique.ttf",
    "DejaVuSans-BoldOblique.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSerif-Bold.ttf",
    "DejaVuSerif-Italic.ttf",
    "DejaVuSerif-BoldItalic.ttf",
    "DejaVuSansMono.ttf",
    "DejaVuSansMono-Bold.ttf",
    "DejaVuSansMono-Oblique.ttf",
    "DejaVuSansMono-BoldOblique.ttf",
    "STIXGeneral.ttf",
    "STIXGeneralBol.ttf",
    "STIXGeneralItalic.ttf",
    "STIXGeneralBolIta.ttf",
    "cmr10.ttf",
    "cmss10.ttf",
    "cmtt10.ttf",
    "cmb10.ttf",
    "cmti10.ttf",
)
REFERENCE_FONTS: tuple[str, ...] = (
    "DejaVuSans.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSansMono.ttf",
    "STIXGeneral.ttf",
)
MERGE_DISTANCE = 0.1
"""Two characters are one class when their normalised L1 distance is below this in every
reference font that draws both."""

_RENDER_EM = 96  # font size (pixels per em) of the high-resolution glyph renderings
_CAP_HEIGHT = 20 / 28  # height of a capital letter or digit, as a fraction of the image side
_MAX_EXTENT = 0.8  # largest side of a glyph, as a fraction of the image side
_SUPERSAMPLE = 2  # images are drawn on a grid this many times finer, then box-averaged


@functools.lru_cache(maxsize=None)
def _font_path(font_file: str) -> str:
    """Absolute path of one of matplotlib's TrueType fonts."""
    return os.path.join(matplotlib.get_data_path(), "fonts", "ttf", font_file)


@functools.lru_cache(maxsize=None)
def _cmap(font_file: str) -> dict[int, str]:
    """The font's best cmap: code point → glyph name."""
    return TTFont(_font_path(font_file), lazy=True).getBestCmap()


@functools.lru_cache(maxsize=None)
def _font(font_file: str) -> ImageFont.FreeTypeFont:
    """The font at ``_RENDER_EM`` pixels per em."""
    return ImageFont.truetype(_font_path(font_file), _RENDER_EM)


def _draw(font_file: str, char: str) -> np.ndarray:
    """The glyph as Pillow draws it, cropped to its ink plus a 2-pixel black margin.

    Returns ``uint8 [height, width]``, 255 = ink; ``[0, 0]`` when the glyph has no ink.
    """
    font = _font(font_file)
    left, top, right, bottom = font.getbbox(char)
    if right <= left or bottom <= top:
        return np.zeros((0, 0), np.uint8)
    margin = 2
    canvas = Image.new("L", (right - left + 2 * margin, bottom - top + 2 * margin), 0)
    ImageDraw.Draw(canvas).text((margin - left, margin - top), char, font=font, fill=255)
    drawn = np.asarray(canvas)
    rows, cols = np.flatnonzero(drawn.any(axis=1)), np.flatnonzero(drawn.any(axis=0))
    if len(rows) == 0:
        return np.zeros((0, 0), np.uint8)
    return np.pad(drawn[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], margin)


@functools.lru_cache(maxsize=None)
def _notdef(font_file: str) -> np.ndarray:
    """How the font draws a code point it does not have (its ``.notdef`` box)."""
    return _draw(font_file, "\U0010fffd")


@functools.lru_cache(maxsize=None)
def _cap_height(font_file: str) -> int:
    """Height in pixels of the font's capital ``H`` at ``_RENDER_EM``."""
    return _draw(font_file, "H").shape[0] - 4


def _maps(font_file: str, char: str) -> bool:
    """Whether the font's cmap sends ``char`` to a real glyph of that character."""
    glyph_name = _cmap(font_file).get(ord(char))
    if glyph_name is None or glyph_name == ".notdef":
        return False
    if font_file.startswith("cm"):  # TeX encoding: trust only names that agree with Unicode
        return agl.UV2AGL.get(ord(char)) == glyph_name
    return True


@functools.lru_cache(maxsize=4096)
def _glyph(font_file: str, char: str) -> np.ndarray | None:
    """The character drawn in the font (``uint8 [h, w]``, read-only), or None if it cannot be."""
    if not _maps(font_file, char):
        return None
    drawn = _draw(font_file, char)
    if not drawn.any():
        return None
    notdef = _notdef(font_file)
    if drawn.shape == notdef.shape and np.array_equal(drawn, notdef):
        return None
    drawn.flags.writeable = False
    return drawn


def _covering_fonts(char: str) -> tuple[str, ...]:
    """The fonts in ``FONT_FILES`` that draw ``char``, in ``FONT_FILES`` order."""
    return tuple(font_file for font_file in FONT_FILES if _glyph(font_file, char) is not None)


def _place(
    glyph: np.ndarray,
    font_file: str,
    size: int,
    linear: np.ndarray,
    shift: np.ndarray,
) -> np.ndarray:
    """Map a glyph onto the supersampled grid, centre of mass at the centre.

    ``linear`` (2×2, acting on (row, col)) distorts the glyph after it is scaled to MNIST size,
    and ``shift`` (2, in image pixels) moves it. Returns ``float32 [2·size, 2·size]`` in 0..255.
    """
    grid = _SUPERSAMPLE * size
    by_cap = grid * _CAP_HEIGHT / _cap_height(font_file)
    by_extent = grid * _MAX_EXTENT / (max(glyph.shape) - 4)
    to_grid = min(by_cap, by_extent) * linear
    centre_of_mass = np.array(ndimage.center_of_mass(glyph))
    grid_centre = np.full(2, (grid - 1) / 2) + _SUPERSAMPLE * shift
    inverse = np.linalg.inv(to_grid)
    return ndimage.affine_transform(
        glyph.astype(np.float32),
        inverse,
        offset=centre_of_mass - inverse @ grid_centre,
        output_shape=(grid, grid),
        order=1,
    )


def _downsample(grid: np.ndarray) -> np.ndarray:
    """Average ``_SUPERSAMPLE``×``_SUPERSAMPLE`` blocks: ``[s·n, s·n]`` → ``[n, n]``."""
    n = grid.shape[0] // _SUPERSAMPLE
    return grid.reshape(n, _SUPERSAMPLE, n, _SUPERSAMPLE).mean(axis=(1, 3))


def _canonical(font_file: str, char: str, size: int) -> np.ndarray:
    """The undistorted rendering used to compare characters: ``float32 [size, size]`` in 0..1."""
    glyph = _glyph(font_file, char)
    return _downsample(_place(glyph, font_file, size, np.eye(2), np.zeros(2))) / 255


def _distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Normalised L1 distance ``sum|a - b| / sum(a + b)`` over the last two axes (0..1)."""
    return np.abs(a - b).sum(axis=(-2, -1)) / (a + b).sum(axis=(-2, -1))


@functools.lru_cache(maxsize=None)
def _deduplicated() -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """All classes as ``(chars, concept, fonts)``, in priority order, look-alikes merged.

    A character is a candidate if at least two fonts draw it. See the module docstring for
    the merge rule.
    """
    size = 32
    classes: list[tuple[list[str], str]] = []  # (chars, concept)
    first_renderings: dict[str, list[np.ndarray | None]] = {f: [] for f in REFERENCE_FONTS}
    for concept, candidates in _CANDIDATES:
        for char in candidates:
            if len(_covering_fonts(char)) < 2:
                continue
            renderings = {
                f: _canonical(f, char, size) if _glyph(f, char) is not None else None
                for f in REFERENCE_FONTS
            }
            match = _first_match(renderings, first_renderings, len(classes))
            if match is None:
                classes.append(([char], concept))
                for font_file, rendering in renderings.items():
                    first_renderings[font_file].append(rendering)
            else:
                classes[match][0].append(char)
    return tuple(
        ("".join(chars), concept, _union_of_fonts(chars)) for chars, concept in classes
    )


def _first_match(
    renderings: dict[str, np.ndarray | None],
    first_renderings: dict[str, list[np.ndarray | None]],
    n_classes: int,
) -> int | None:
    """Index of the first class that ``renderings`` should join, or None.

    ``first_renderings[font][k]`` is class ``k``'s first character in ``font`` (None where the
    font does not draw it). A class matches when at least one reference font draws both and
    every such font finds them closer than ``MERGE_DISTANCE``.
    """
    compared = np.zeros(n_classes, bool)
    close = np.ones(n_classes, bool)
    for font_file, rendering in renderings.items():
        if rendering is None:
            continue
        drawn = [k for k, first in enumerate(first_renderings[font_file]) if first is not None]
        if not drawn:
            continue
        stack = np.stack([first_renderings[font_file][k] for k in drawn])
        compared[drawn] = True
        close[drawn] &= _distance(stack, rendering) < MERGE_DISTANCE
    matches = np.flatnonzero(compared & close)
    return int(matches[0]) if len(matches) else None


def _union_of_fonts(chars: Sequence[str]) -> tuple[str, ...]:
    """The fonts that draw at least one of ``chars``, in ``FONT_FILES`` order."""
    return tuple(f for f in FONT_FILES if any(_glyph(f, char) is not None for char in chars))


def glyph_classes(concepts: Sequence[str] | None = None) -> pd.DataFrame:
    """The classes of the glyph pool, optionally only those of some concepts.

    Look-alikes are merged over all concepts first, then rows are filtered, so a class is the
    same whichever concepts are asked for (Greek ``Α`` is in class ``A``, a ``latin_upper``
    class, and asking for ``greek_upper`` alone does not give it back).

    Returns one row per class, in priority order: ``class_name`` (str, the class's first
    character), ``chars`` (str, every merged code point), ``concept`` (str, one of
    ``CONCEPTS``), ``fonts`` (list[str], the font files that draw at least one of ``chars``).
    """
    wanted = CONCEPTS if concepts is None else tuple(concepts)
    unknown = [c for c in wanted if c not in CONCEPTS]
    if unknown:
        raise InputError(
            f"unknown glyph concept(s) {', '.join(map(repr, unknown))}; "
            f"valid concepts are {', '.join(CONCEPTS)}"
        )
    rows = [
        {"class_name": chars[0], "chars": chars, "concept": concept, "fonts": list(fonts)}
        for chars, concept, fonts in _deduplicated()
        if concept in wanted
    ]
    return pd.DataFrame(rows, columns=["class_name", "chars", "concept", "fonts"])


def _random_image(
    chars: str, fonts: Sequence[str], size: int, rng: np.random.Generator
) -> np.ndarray:
    """One augmented rendering of a class: ``uint8 [size, size]``, white glyph on black.

    Draws a font, a character of the class that the font has, a scale (±10% overall, ±8% per
    axis), a rotation (±15°), a shear (±0.2), a shift (±1.5 px), a stroke thickening (0, 0.5
    or 1 px), a Gaussian blur (σ ≤ 0.8 px) and additive Gaussian noise (σ ≤ 8 grey levels).
    """
    font_file = fonts[rng.integers(len(fonts))]
    drawable = [char for char in chars if _glyph(font_file, char) is not None]
    glyph = _glyph(font_file, drawable[rng.integers(len(drawable))])
    angle = math.radians(rng.uniform(-15, 15))
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    shear = np.array([[1.0, 0.0], [rng.uniform(-0.2, 0.2), 1.0]])
    scale = np.diag(rng.uniform(0.9, 1.1) * rng.uniform(0.92, 1.08, size=2))
    shift = rng.uniform(-1.5, 1.5, size=2)
    grid = _place(glyph, font_file, size, rotation @ shear @ scale, shift)
    thickening = int(rng.integers(1, 4))
    if thickening > 1:
        grid = ndimage.maximum_filter(grid, size=thickening)
    image = ndimage.gaussian_filter(_downsample(grid), sigma=rng.uniform(0, 0.8))
    image += rng.normal(0, rng.uniform(0, 8), size=image.shape)
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def render_pool(
    classes: pd.DataFrame,
    images_per_class: int,
    seed: int,
    size: int = 32,
    progress: bool = True,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Render ``images_per_class`` augmented images of each class in ``classes``.

    ``classes`` is a frame from ``glyph_classes`` (or a subset of its rows, in any order).
    Class ``k`` (row ``k``) gets label ``k``. Each class draws from its own random stream,
    seeded by ``seed`` and the class's first code point, so the same class, count and seed
    give the same images bit for bit, whatever other classes are rendered alongside.

    Returns ``images``, ``uint8 [K·images_per_class, size, size]`` (white on black, class by
    class), and an index frame with one row per image: ``image`` (int, row in ``images``),
    ``label`` (int, 0..K-1), ``class_name`` and ``concept``.
    """
    if images_per_class < 1:
        raise InputError(f"images_per_class must be at least 1, got {images_per_class}")
    if size < 8:
        raise InputError(f"image size must be at least 8 pixels, got {size}")
    images = np.empty((len(classes) * images_per_class, size, size), np.uint8)
    rows = zip(classes["class_name"], classes["chars"], classes["fonts"])
    for label, (class_name, chars, fonts) in enumerate(
        tqdm(rows, total=len(classes), desc="glyph classes", unit="class", disable=not progress)
    ):
        rng = np.random.default_rng(np.random.SeedSequence([seed, ord(class_name)]))
        for i in range(images_per_class):
            images[label * images_per_class + i] = _random_image(chars, fonts, size, rng)
    labels = np.repeat(np.arange(len(classes)), images_per_class)
    index = pd.DataFrame(
        {
            "image": np.arange(len(images)),
            "label": labels,
            "class_name": np.asarray(classes["class_name"])[labels],
            "concept": np.asarray(classes["concept"])[labels],
        }
    )
    return images, index
