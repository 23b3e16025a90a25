"""The glyph world's source pool: one class per visually distinct character.

The embedded default has no ImageNet, so its pre-training data is rendered here from the
TrueType fonts that matplotlib ships (DejaVu, STIX and Computer Modern families): digits,
Latin, Greek and Cyrillic letters, math symbols, arrows and other symbols, each class tagged
with a *concept* (the analogue of ImageNet's bird or dog groups).

Images look like MNIST padded to 32 pixels: 32×32 grayscale ``uint8``, a white glyph on a
black background, capitals and digits 20 pixels high (MNIST's 20-pixel digit box), centred by
centre of mass. Letters keep their size within a font, so a lowercase ``c`` is smaller than a
capital ``C``; a glyph whose larger side would exceed 75% of the image is shrunk to fit.

Look-alikes are one class. Every candidate character is rendered without augmentation in the
four reference fonts (DejaVu Sans, DejaVu Serif, DejaVu Sans Mono, STIX General) and blurred
with a Gaussian of σ = 1 pixel; the distance between two such renderings ``a`` and ``b``
(floats in 0..1) is the normalised L1 distance ``sum|a - b| / sum(a + b)`` (0: identical,
1: no overlap). Candidates are visited in concept priority order (digit, latin_upper,
latin_lower, greek_upper, greek_lower, cyrillic_upper, cyrillic_lower, math_symbol, arrow,
other_symbol); a candidate joins the first class whose first character is closer than
``MERGE_DISTANCE`` = 0.08 in *every* reference font that draws both, and otherwise opens a
class of its own. The threshold sits in a gap: the homoglyphs that merge are at most 0.052
apart (Latin ``o`` and Greek ``ο`` in STIX), the closest pair kept apart is 0.105 (``0`` and
``θ`` in DejaVu Sans). A class takes the name and concept of its first character: Latin
``A``, Greek ``Α`` and Cyrillic ``А`` are class ``A`` of concept ``latin_upper``. Digits come
first, so the ten digits are always the ten ``digit`` classes; ``O`` stays a class of its own
(DejaVu Sans, DejaVu Serif and STIX draw it much wider than ``0``: distance 0.36 or more,
although DejaVu Sans Mono's are 0.079 apart) and nothing merges into ``0``. Pairs that are identical in some reference fonts
but not all (Greek ``Γ`` and Cyrillic ``Г``, which DejaVu Serif draws differently) stay apart.

The Computer Modern fonts use TeX's encoding, not Unicode (their cmap sends ``<`` to ``¡``), so
they draw a character only where the glyph's PostScript name is the Adobe Glyph List name of
that code point (and ``cmti10`` never draws ``$``: its dollar slot holds a pound sign). A
font never draws a character that its cmap leaves out, that renders empty,
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

from reprise.core.errors import InputError
from reprise.core.progress import progress_bar


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
MERGE_DISTANCE = 0.08
"""Two characters are one class when their normalised L1 distance is below this in every
reference font that draws both."""

# Glyphs whose PostScript name passes the Adobe Glyph List check but that draw another
# character: TeX's text-italic encoding puts the pound sign in the dollar slot.
_MISLABELLED: frozenset[tuple[str, str]] = frozenset({("cmti10.ttf", "$")})

_RENDER_EM = 96  # font size (pixels per em) of the high-resolution glyph renderings
_MARGIN = 2  # black pixels around a high-resolution glyph's ink
_CAP_HEIGHT = 20 / 32  # height of a capital or digit: 20 px at 32, as MNIST padded to 32
_MAX_EXTENT = 0.75  # largest side of a glyph, as a fraction of the image side
_SUPERSAMPLE = 2  # images are drawn on a grid this many times finer, then box-averaged


@functools.lru_cache(maxsize=None)
def _font_path(font_file: str) -> str:
    """Absolute path of one of matplotlib's TrueType fonts."""
    return os.path.join(matplotlib.get_data_path(), "fonts", "ttf", font_file)


@functools.lru_cache(maxsize=None)
def _cmap(font_file: str) -> dict[int, str]:
    """The font's best cmap: code point → glyph name."""
    with TTFont(_font_path(font_file), lazy=True) as font:
        return font.getBestCmap()


@functools.lru_cache(maxsize=None)
def _font(font_file: str) -> ImageFont.FreeTypeFont:
    """The font at ``_RENDER_EM`` pixels per em."""
    return ImageFont.truetype(_font_path(font_file), _RENDER_EM)


def _draw(font_file: str, char: str) -> np.ndarray:
    """The character as Pillow draws it at ``_RENDER_EM``, cropped to its ink plus ``_MARGIN``.

    Returns ``uint8 [height, width]``, 255 = ink; ``[0, 0]`` when the glyph has no ink.
    """
    font = _font(font_file)
    left, top, right, bottom = font.getbbox(char)
    width, height = max(right - left, 0) + 2 * _MARGIN, max(bottom - top, 0) + 2 * _MARGIN
    canvas = Image.new("L", (width, height), 0)
    ImageDraw.Draw(canvas).text((_MARGIN - left, _MARGIN - top), char, font=font, fill=255)
    drawn = np.asarray(canvas)
    rows, cols = np.flatnonzero(drawn.any(axis=1)), np.flatnonzero(drawn.any(axis=0))
    if len(rows) == 0:
        return np.zeros((0, 0), np.uint8)
    return np.pad(drawn[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], _MARGIN)


@functools.lru_cache(maxsize=None)
def _notdef(font_file: str) -> np.ndarray:
    """How the font draws a code point it does not have (its ``.notdef`` box)."""
    return _draw(font_file, "\U0010fffd")


@functools.lru_cache(maxsize=None)
def _cap_height(font_file: str) -> int:
    """Height in pixels of the font's capital ``H`` at ``_RENDER_EM``."""
    return _draw(font_file, "H").shape[0] - 2 * _MARGIN


def _maps(font_file: str, char: str) -> bool:
    """Whether the font's cmap sends ``char`` to a real glyph of that character."""
    glyph_name = _cmap(font_file).get(ord(char))
    if glyph_name is None or glyph_name == ".notdef" or (font_file, char) in _MISLABELLED:
        return False
    if font_file.startswith("cm"):  # TeX encoding: trust only names that agree with Unicode
        return agl.UV2AGL.get(ord(char)) == glyph_name
    return True


@functools.lru_cache(maxsize=None)
def _draws(font_file: str, char: str) -> bool:
    """Whether the font has a real glyph for ``char``: mapped, not empty, not ``.notdef``."""
    if not _maps(font_file, char):
        return False
    drawn, notdef = _draw(font_file, char), _notdef(font_file)
    return drawn.any() and not (drawn.shape == notdef.shape and np.array_equal(drawn, notdef))


@functools.lru_cache(maxsize=2048)
def _glyph(font_file: str, char: str) -> np.ndarray:
    """The character drawn in a font that ``_draws`` it: ``uint8 [h, w]``, read-only."""
    drawn = _draw(font_file, char)
    drawn.flags.writeable = False
    return drawn


def _covering_fonts(chars: str) -> tuple[str, ...]:
    """The fonts in ``FONT_FILES`` that draw at least one of ``chars``, in that order."""
    return tuple(f for f in FONT_FILES if any(_draws(f, char) for char in chars))


def _place(
    glyph: np.ndarray,
    font_file: str,
    size: int,
    linear: np.ndarray,
    shift: np.ndarray,
) -> np.ndarray:
    """Map a high-resolution glyph of ``font_file`` onto the supersampled grid of an image.

    The glyph is scaled so that the font's capitals are ``_CAP_HEIGHT`` of the image (less if
    its larger side would exceed ``_MAX_EXTENT``), distorted by ``linear`` (2×2, acting on
    (row, col)), and placed with its centre of mass at the image centre moved by ``shift``
    (2, in image pixels). Returns ``float32 [s·size, s·size]`` in 0..255, s = ``_SUPERSAMPLE``.
    """
    grid = _SUPERSAMPLE * size
    by_cap = grid * _CAP_HEIGHT / _cap_height(font_file)
    by_extent = grid * _MAX_EXTENT / (max(glyph.shape) - 2 * _MARGIN)
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


def _reference_rendering(font_file: str, char: str) -> np.ndarray:
    """The rendering that look-alikes are compared on: ``float32 [32, 32]`` in 0..1.

    The glyph undistorted (placed as in training images, no augmentation), then blurred with
    a Gaussian of σ = 1 pixel so that sub-pixel differences between outlines do not count.
    """
    glyph = _glyph(font_file, char)
    placed = _downsample(_place(glyph, font_file, 32, np.eye(2), np.zeros(2))) / 255
    return ndimage.gaussian_filter(placed, sigma=1.0)


def _distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Normalised L1 distance ``sum|a - b| / sum(a + b)`` over the last two axes (0..1)."""
    return np.abs(a - b).sum(axis=(-2, -1)) / (a + b).sum(axis=(-2, -1))


@functools.lru_cache(maxsize=None)
def _deduplicated() -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """All classes as ``(chars, concept, fonts)``, in priority order, look-alikes merged.

    Candidates that no font draws are left out. A candidate joins the first class whose first
    character is drawn by at least one reference font that draws the candidate too, and is
    closer than ``MERGE_DISTANCE`` to it in every such font; otherwise it opens a class.
    """
    n_candidates = sum(len(chars) for _, chars in _CANDIDATES)
    # Reference renderings of each class's first character, and which fonts draw it.
    firsts = np.zeros((len(REFERENCE_FONTS), n_candidates, 32, 32), np.float32)
    firsts_drawn = np.zeros((len(REFERENCE_FONTS), n_candidates), bool)
    classes: list[tuple[list[str], str]] = []  # (chars, concept)
    for concept, candidates in _CANDIDATES:
        for char in candidates:
            if not _covering_fonts(char):
                continue
            drawn = np.array([_draws(f, char) for f in REFERENCE_FONTS])
            renderings = np.stack(
                [
                    _reference_rendering(f, char) if d else np.zeros((32, 32), np.float32)
                    for f, d in zip(REFERENCE_FONTS, drawn)
                ]
            )
            k = len(classes)
            both = firsts_drawn[:, :k] & drawn[:, None]
            with np.errstate(invalid="ignore"):  # 0/0 where neither is drawn, masked by both
                apart = _distance(firsts[:, :k], renderings[:, None]) >= MERGE_DISTANCE
            matches = np.flatnonzero(both.any(axis=0) & ~(apart & both).any(axis=0))
            if len(matches):
                classes[matches[0]][0].append(char)
            else:
                classes.append(([char], concept))
                firsts[:, k], firsts_drawn[:, k] = renderings, drawn
    return tuple(("".join(chars), concept, _covering_fonts(chars)) for chars, concept in classes)


def glyph_classes(concepts: Sequence[str] | None = None) -> pd.DataFrame:
    """The classes of the glyph pool, optionally only those of some concepts.

    ``concepts`` is a list of names from ``CONCEPTS`` (or one name); None means all of them.
    Look-alikes are merged over all concepts first, then rows are filtered, so a class is the
    same whichever concepts are asked for (Greek ``Α`` is in class ``A``, a ``latin_upper``
    class, and asking for ``greek_upper`` alone does not give it back).

    Returns one row per class, in priority order: ``class_name`` (str, the class's first
    character), ``chars`` (str, every merged code point), ``concept`` (str, one of
    ``CONCEPTS``), ``fonts`` (list[str], the font files that draw at least one of ``chars``).
    """
    if concepts is None:
        wanted = CONCEPTS
    else:
        wanted = (concepts,) if isinstance(concepts, str) else tuple(concepts)
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
    drawable = [char for char in chars if _draws(font_file, char)]
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
    seeded by ``seed`` and the code points of its name, so the same class, count and seed
    give the same images bit for bit, whatever other classes are rendered alongside.

    Returns ``images``, ``uint8 [K·images_per_class, size, size]`` (white on black, class by
    class), and an index frame with one row per image: ``image`` (int, row in ``images``),
    ``label`` (int, 0..K-1), ``class_name`` and ``concept``.
    """
    if images_per_class < 1:
        raise InputError(f"images_per_class must be at least 1, got {images_per_class}")
    if size < 8:
        raise InputError(f"image size must be at least 8 pixels, got {size}")
    if seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed}")
    missing = [c for c in ("class_name", "chars", "concept", "fonts") if c not in classes]
    if missing:
        raise InputError(
            f"classes lacks column(s) {', '.join(missing)}; pass a frame from glyph_classes()"
        )
    images = np.empty((len(classes) * images_per_class, size, size), np.uint8)
    rows = zip(classes["class_name"], classes["chars"], classes["fonts"])
    with progress_bar(len(classes), "glyph classes", "class", progress) as bar:
        for label, (class_name, chars, fonts) in enumerate(rows):
            rng = np.random.default_rng(np.random.SeedSequence([seed, *map(ord, class_name)]))
            for i in range(images_per_class):
                images[label * images_per_class + i] = _random_image(chars, fonts, size, rng)
            bar.update()
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
