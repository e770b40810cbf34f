from tta_dev_primitives import CircuitBreaker

# CircuitBreaker.shared takes the breaker's own settings, typed: a typo or a wrong type is caught.
ok = CircuitBreaker.shared("payments", minimum_calls=5, wait_in_open=30.0)
typo = CircuitBreaker.shared("payments", minimum_call=5)  # E: Unexpected keyword argument "minimum_call" for "shared" of "CircuitBreaker"; did you mean "minimum_calls"?  [call-arg]
wrong = CircuitBreaker.shared("payments", minimum_calls="5")  # E: Argument "minimum_calls" to "shared" of "CircuitBreaker" has incompatible type "str"; expected "int"  [arg-type]
