// The vector math is header-only (include/RecurVectorMath.h); this file makes the target a C target.
