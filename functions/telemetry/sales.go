package telemetry

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"seckill/redislib"
	"seckill/redislib/sale"
)

// salesShown is how many of the newest activities the sales collector
// reads: enough for the sales of a day, few enough to keep a scrape one
// short round trip and the series bounded.
const salesShown = 20

var (
	saleRemaining = prometheus.NewDesc("seckill_activity_remaining_units",
		"Units still for sale, per running or sold-out activity among the newest, read from Redis when scraped.", []string{"activity"}, nil)
	saleSold = prometheus.NewDesc("seckill_activity_sold_units",
		"Units held by pending or paid orders, per running or sold-out activity among the newest, read from Redis when scraped.", []string{"activity"}, nil)
)

// salesCollector exposes the stock of the sales under way. It reads Redis
// when scraped, never on a request, so it costs the purchase path nothing;
// one function registers it (activitystats), so the scrapes of the other
// functions do not each read Redis.
type salesCollector struct {
	store   *redislib.Store
	timeout time.Duration
}

// NewSalesCollector returns the collector of the remaining and sold units
// of the newest running or sold-out activities. A scrape that cannot read
// Redis within timeout exports none of them (the store's own failures show
// in the requests' metrics).
func NewSalesCollector(store *redislib.Store, timeout time.Duration) prometheus.Collector {
	return salesCollector{store: store, timeout: timeout}
}

func (salesCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- saleRemaining
	ch <- saleSold
}

func (c salesCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	page, err := c.store.ListActivities(ctx, "", sale.PageQuery{Limit: salesShown})
	if err != nil {
		return
	}
	for _, a := range page.Items {
		if a.Status != sale.StatusRunning && a.Status != sale.StatusSoldOut {
			continue
		}
		ch <- prometheus.MustNewConstMetric(saleRemaining, prometheus.GaugeValue, float64(a.Remaining), a.ID)
		ch <- prometheus.MustNewConstMetric(saleSold, prometheus.GaugeValue, float64(a.Sold), a.ID)
	}
}
