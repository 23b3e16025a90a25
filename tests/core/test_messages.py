"""Messages on stderr: one line each, whatever the names inside them."""

from reprise.core.messages import error, warn


def test_a_name_with_a_line_break_keeps_the_message_on_one_line(capsys):
    error("class folder data/bad\nname holds no images")
    warn("left out data/x\r\ny.jpg")
    assert capsys.readouterr().err == "error: class folder data/bad\\nname holds no images\nwarning: left out data/x\\r\\ny.jpg\n"
