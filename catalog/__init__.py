"""The catalog: projects, batches, investors, subscriptions and deliveries (SQLModel)."""
