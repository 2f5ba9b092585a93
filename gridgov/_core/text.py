"""Text files of unknown encoding: UTF-8 (with or without BOM), then GB18030.

Planners' files come from Excel and Chinese software as UTF-8, UTF-8 with a
byte-order mark, or GBK; GB18030 is the superset of GBK and GB2312 that
Windows uses in China.  Without an explicit encoding, text is read in this
documented order: :data:`DETECTION_ORDER`.  Part of the internal core.
"""

from __future__ import annotations

__all__ = ["DETECTION_ORDER", "decode"]

#: Encodings tried, in order, when none is given: UTF-8 (a BOM is dropped), then
#: GB18030 (which reads GBK and GB2312).  Any text that is valid UTF-8 is read as
#: UTF-8; the Chinese encodings are only tried for text that is not.
DETECTION_ORDER: tuple[str, ...] = ("utf-8-sig", "gb18030")


def decode(data: bytes, *, encoding: str | None = None) -> tuple[str, str]:
    r"""Return the text of `data` and the encoding it was read in.

    Parameters
    ----------
    data : bytes
        The file's content.
    encoding : str, optional
        The encoding to use; default: the first of :data:`DETECTION_ORDER`
        that decodes `data`.

    Returns
    -------
    text, encoding : str

    Raises
    ------
    UnicodeDecodeError
        When no encoding tried decodes the data (the last error).

    Examples
    --------
    >>> decode("网格".encode("gbk"))
    ('网格', 'gb18030')
    >>> decode("\ufeff网格".encode("utf-8"))
    ('网格', 'utf-8-sig')
    """
    tried = (encoding,) if encoding is not None else DETECTION_ORDER
    error: UnicodeDecodeError | None = None
    for name in tried:
        try:
            return data.decode(name), name
        except UnicodeDecodeError as failed:
            error = failed
    assert error is not None
    raise error
