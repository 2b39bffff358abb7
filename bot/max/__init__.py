"""MAX's kit: the adapter that lets the aiogram handlers serve MAX (issue #13, design (a)).

MAX updates become aiogram ``Update``s for the same dispatcher (``updates``), aiogram's Bot API
calls become MAX HTTP calls in an aiogram session (``session``), and MAX's string message ids are
numbered in the database (``ids``) so any process can edit a message another one sent. MAX's own
types and its library (``maxapi``) never leave this package.
"""
