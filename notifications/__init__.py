"""Pushes: the fan-out of committed events into ``deliveries`` rows (``fanout``), who hears
about a child (``recipients``), the delivery worker (``worker``: fenced leases, pacing,
retries), scheduled jobs (``jobs``, ``scheduler``) and rendering (``render``). The path of a
push: event -> fan-out -> deliveries -> worker -> messenger (README, "How a push travels")."""
