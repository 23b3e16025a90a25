import numpy as np
import pytest

from reprise.core.errors import InputError
from reprise.world.glyphs import CONCEPTS, glyph_classes, render_pool


def _classes(*names: str):
    """The rows of ``glyph_classes()`` for the given class names, in that order."""
    table = glyph_classes().set_index("class_name", drop=False)
    return table.loc[list(names)].reset_index(drop=True)


def test_all_concepts_give_at_least_200_distinct_classes():
    classes = glyph_classes()
    assert len(classes) >= 200
    assert classes["class_name"].is_unique
    assert set(classes["concept"]) == set(CONCEPTS)
    every_char = "".join(classes["chars"])
    assert len(every_char) == len(set(every_char))  # a character is in one class only
    assert all(len(fonts) >= 1 for fonts in classes["fonts"])


def test_the_ten_digits_are_exactly_the_digit_classes():
    classes = glyph_classes()
    digits = classes[classes["concept"] == "digit"]
    assert list(digits["class_name"]) == [str(d) for d in range(10)]
    assert list(glyph_classes(["digit"])["class_name"]) == [str(d) for d in range(10)]
    assert "O" in set(classes["class_name"])  # O is a letter class, not merged into 0


def test_look_alikes_across_scripts_are_one_class():
    classes = glyph_classes().set_index("class_name")
    assert set("A\u0391\u0410") <= set(classes.loc["A", "chars"])  # Latin, Greek, Cyrillic
    assert classes.loc["A", "concept"] == "latin_upper"
    assert set("o\u03bf\u043e") <= set(classes.loc["o", "chars"])
    assert "\u0391" not in classes.index and "\u0410" not in classes.index
    assert classes.loc["c", "chars"] != classes.loc["C", "chars"]  # case differs in size


def test_computer_modern_fonts_draw_only_what_they_really_have():
    classes = glyph_classes().set_index("class_name")
    assert "cmtt10.ttf" in classes.loc["<", "fonts"]
    assert "cmr10.ttf" not in classes.loc["<", "fonts"]  # its '<' slot holds '¡'
    assert "cmti10.ttf" not in classes.loc["$", "fonts"]  # its '$' slot holds '£'
    assert not any(f.startswith("cm") for f in classes.loc["\u03a9", "fonts"])  # Omega


def test_concept_filter_and_returned_frame_is_a_fresh_copy():
    greek = glyph_classes(["greek_upper", "greek_lower"])
    assert set(greek["concept"]) == {"greek_upper", "greek_lower"}
    assert glyph_classes("greek_upper").equals(greek[greek["concept"] == "greek_upper"])
    first = glyph_classes()
    first.loc[0, "class_name"] = "changed"
    first.loc[0, "fonts"].append("changed.ttf")
    again = glyph_classes()
    assert again.loc[0, "class_name"] == "0" and "changed.ttf" not in again.loc[0, "fonts"]


def test_unknown_concept_is_an_input_error_listing_the_valid_ones():
    with pytest.raises(InputError, match="unknown glyph concept.*'birds'.*digit, latin_upper"):
        glyph_classes(["digit", "birds"])


def test_render_pool_shapes_labels_and_index():
    classes = _classes("3", "A", "\u03a9", "\u2192")
    images, index = render_pool(classes, images_per_class=5, seed=0, progress=False)
    assert images.shape == (20, 32, 32) and images.dtype == np.uint8
    assert list(index.columns) == ["image", "label", "class_name", "concept"]
    assert list(index["image"]) == list(range(20))
    assert list(index["label"]) == [k for k in range(4) for _ in range(5)]
    assert list(index["class_name"][::5]) == ["3", "A", "\u03a9", "\u2192"]
    assert list(index["concept"][::5]) == ["digit", "latin_upper", "greek_upper", "arrow"]
    small, _ = render_pool(classes.iloc[:1], images_per_class=2, seed=0, size=16, progress=False)
    assert small.shape == (2, 16, 16)


def test_images_are_white_glyphs_on_black_and_never_blank():
    images, _ = render_pool(_classes("7", "x", "\u0416", "\u2211"), 10, seed=3, progress=False)
    assert (images.max(axis=(1, 2)) > 128).all()
    border = np.concatenate([images[:, :3].reshape(40, -1), images[:, -3:].reshape(40, -1)], 1)
    centre = images[:, 10:22, 10:22].reshape(40, -1)
    assert (border.mean(axis=1) < centre.mean(axis=1)).all()
    assert border.mean() < 10


def test_rendering_is_deterministic_per_seed_and_per_class():
    classes = _classes("0", "g", "\u044f")
    first, _ = render_pool(classes, 4, seed=7, progress=False)
    again, _ = render_pool(classes, 4, seed=7, progress=False)
    other, _ = render_pool(classes, 4, seed=8, progress=False)
    assert first.tobytes() == again.tobytes()
    assert not np.array_equal(first, other)
    alone, _ = render_pool(classes.iloc[[1]], 4, seed=7, progress=False)
    assert np.array_equal(alone, first[4:8])  # a class's images ignore the other classes


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"images_per_class": 0}, "images_per_class must be at least 1, got 0"),
        ({"size": 7}, "image size must be at least 8 pixels, got 7"),
        ({"seed": -1}, "seed must be a non-negative integer, got -1"),
    ],
)
def test_bad_render_arguments_are_input_errors(arguments, message):
    call = {"classes": _classes("1"), "images_per_class": 2, "seed": 0, "progress": False}
    with pytest.raises(InputError, match=message):
        render_pool(**{**call, **arguments})


def test_a_frame_without_the_class_columns_is_an_input_error():
    with pytest.raises(InputError, match="classes lacks column.*fonts"):
        render_pool(_classes("1").drop(columns="fonts"), 2, seed=0, progress=False)
