package sale

// Error codes of draws.
const (
	// CodeNotDraw refuses an entry, or a draw read, on an activity whose
	// admission is not "draw".
	CodeNotDraw = "not_draw"
	// CodeRegistrationNotOpen refuses an entry before registration_opens_at.
	CodeRegistrationNotOpen = "registration_not_open"
	// CodeRegistrationClosed refuses an entry from draw_at on.
	CodeRegistrationClosed = "registration_closed"
	// CodeDrawNotDone refuses the list of entrants before the draw is done:
	// it is published with the seed.
	CodeDrawNotDone = "draw_not_done"
)
