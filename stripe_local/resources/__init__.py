"""One module per group of Stripe resources: the operations on the store, how each object is
rendered as Stripe's JSON, and the API routes that reach them."""
