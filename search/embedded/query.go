package embedded

// bodyBoost keeps long full texts from outranking a matching abstract.
const bodyBoost = 0.3
