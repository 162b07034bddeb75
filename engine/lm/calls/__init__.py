"""One call to a provider made robust: which errors retry and how long to wait, the circuit
breaker, the in-flight limit, faults a reply can carry, and the CPU others use."""
