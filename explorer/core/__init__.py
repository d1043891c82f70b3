"""What every part of the window shares: evented state, the session, actions, jobs, errors."""
