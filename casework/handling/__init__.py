"""How staff handle a case beyond reading it: internal notes, links between related cases, the case's
timeline, and the disclosure of a reporter's sealed identity (issues 11.6 and 11.7)."""
