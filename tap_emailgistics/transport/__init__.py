"""The HTTP rules of the tap, in one place.

Where the key may go (``host``), how fast (``pacing``), what is repeated and for how
long (``retry``), what an answer means (``answers``), what never reaches output
(``redaction``), and the base stream that applies them all to every request
(``stream``).
"""
