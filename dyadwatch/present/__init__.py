"""See DESIGN.md for this stage's place in the data flow."""
