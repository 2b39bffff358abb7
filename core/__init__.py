"""The journal's domain: entities, rules, use cases, access policy and grading maths.

No messenger, no ORM: the standard library, pydantic and this package only.
"""
