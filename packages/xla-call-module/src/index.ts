// Placeholder: this pack has no converters yet (see README.md).
export {}
