"""The only layer that talks to DSS: the transport policy, DSS's answers, and readers that turn DSS's JSON into
typed objects. Every guess about a DSS shape is here, marked [V] (verified), [I] (inferred) or [U] (unknown)."""
