"""The lake library: objects, published runs, the publisher, reports and notebook sources."""
