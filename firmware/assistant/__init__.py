"""The assistant: it listens, proposes moves on the box's own controls with a
reason for each, and never applies anything (a hand accepts).

    analysis.py   what it measures in a programme or a reference
    fit.py        least-squares fits of the EQ's bands to a tonal difference
    words.py      words an engineer hears, as moves (one table, with sources)
    plan.py       a proposal's moves and plan, the free EQ bands, the checking renders
    propose.py    the proposals, checked by rendering through the chain
    ask.py        asking back: a vague request's readings, each proposed
"""

# what a reference match covers (--only on the command line); here so that
# building the command line does not import the analysis and scipy
ASPECTS = ("tone", "dynamics", "width")
