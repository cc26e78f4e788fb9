"""The predict questions the tests add to the mini fixture course, as TOML, in one place: a
number to predict on the implicit-regularization simulation (the slope of GD's distance from the
modified flow against h, about 2) and the same with two choices either side of 1.5."""

from __future__ import annotations


def slope_question(qid: str = "slope", vary: str | None = None, label: str = "") -> str:
    """The number to predict (slope 2, tolerance 0.15); ``vary``: its TOML table of values a
    review may draw; ``label``: a word after the prompt, to tell several such questions apart."""
    tag = f" ({label})" if label else ""
    extra = f"vary = {vary}\n" if vary is not None else ""
    return f'''
[[question]]
id = "{qid}"
kind = "predict"
prompt = "On a log-log plot of GD's distance from the modified flow against h, what slope{tag}?"
sim = "implicit_regularization"
params = {{ step_sizes = [0.005, 0.01, 0.02] }}
{extra}metric = "slope_modified"
tolerance = {{ absolute = 0.15 }}
explanation = "GD follows the modified flow to second order in h, so its error there shrinks like h^2: slope 2."
'''


SIDE = '''
[[question]]
id = "side"
kind = "predict"
prompt = "Is the error to the modified flow's slope below 1.5, or above?"
sim = "implicit_regularization"
params = { step_sizes = [0.005, 0.01, 0.02] }
metric = "slope_modified"
choices = ["below 1.5", "above 1.5"]
bins = [1.5]
explanation = "Second order: about 2."
'''

# the slope to predict, then the same question with choices
PREDICT = slope_question() + SIDE
