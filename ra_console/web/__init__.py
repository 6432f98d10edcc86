"""Web plumbing shared by the web audiences: access decorators, the signed-in person, session policy, error pages and headers, rate limits, message texts."""
