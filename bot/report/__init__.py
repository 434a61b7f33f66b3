"""The trainers' report: what reps ask, what the bot could not answer, 👎 with comments and the
coaching flows, read from the tracker store (``stats``), rendered as one HTML page (``page``),
written by ``make report`` (``__main__``) and served at ``/report`` (``channel``)."""
