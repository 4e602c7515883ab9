"""Tables, queries and the backends that hold them."""
