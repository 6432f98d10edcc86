"""Sign-in (dev and header modes), session policy, the current actor and access checks."""
