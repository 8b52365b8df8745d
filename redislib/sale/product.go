package sale

import "time"

// Product is an item that activities sell. Prices are in cents.
type Product struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Price       int64     `json:"price"`
	Deleted     bool      `json:"deleted"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// NewProduct is what a product is created from.
type NewProduct struct {
	Name        string
	Description string
	Price       int64
}

// ProductChanges are the fields of a product to change; nil fields are kept.
type ProductChanges struct {
	Name        *string
	Description *string
	Price       *int64
}
