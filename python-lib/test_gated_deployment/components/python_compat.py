"""What the macro and dropdown servers of older DSS need from the Python of the plugin's code env.

[V, seen in a real `dataiku` package of an older DSS] Those servers count the arguments of a macro's constructor
(and of a dropdown's `do`) with `inspect.getargspec`, which Python 3.11 removed: there, with Python 3.11 or later,
every macro and dropdown would fail before it starts. Each runnable.py and resource/choices.py calls
`provide_getargspec()` as it is loaded, before the server inspects it. It adds `getargspec` only where Python has
none, with the same four fields, taken from `getfullargspec`.
"""

import inspect
from collections import namedtuple

ArgSpec = namedtuple("ArgSpec", "args varargs keywords defaults")


def _getargspec(func):
    spec = inspect.getfullargspec(func)
    return ArgSpec(spec.args, spec.varargs, spec.varkw, spec.defaults)


def provide_getargspec():
    if not hasattr(inspect, "getargspec"):
        inspect.getargspec = _getargspec
