package telemetry

import (
	"github.com/prometheus/client_golang/prometheus"

	"seckill/redislib"
)

var (
	redisDurable = prometheus.NewDesc("seckill_redis_durable",
		"1 when the durability watcher last found every Redis node with appendonly yes and appendfsync always, else 0 (writes then answer 503 not_durable).", nil, nil)
	redisUsedMemory = prometheus.NewDesc("seckill_redis_used_memory_bytes",
		"used_memory of each Redis node (INFO memory), as of the durability watcher's last check.", []string{"node"}, nil)
	redisMaxMemory = prometheus.NewDesc("seckill_redis_maxmemory_bytes",
		"maxmemory of each Redis node (INFO memory; 0: no limit), as of the durability watcher's last check.", []string{"node"}, nil)
)

// WatchDurability exports what w last saw: seckill_redis_durable, and per
// node seckill_redis_used_memory_bytes and seckill_redis_maxmemory_bytes.
// Scrapes read w's memory, never Redis.
func (m *Metrics) WatchDurability(w *redislib.DurabilityWatch) {
	m.registry.MustRegister(durabilityCollector{w})
}

type durabilityCollector struct{ w *redislib.DurabilityWatch }

func (durabilityCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- redisDurable
	ch <- redisUsedMemory
	ch <- redisMaxMemory
}

func (d durabilityCollector) Collect(ch chan<- prometheus.Metric) {
	v := 0.0
	if d.w.Durable() {
		v = 1
	}
	ch <- prometheus.MustNewConstMetric(redisDurable, prometheus.GaugeValue, v)
	for _, n := range d.w.Memory() {
		ch <- prometheus.MustNewConstMetric(redisUsedMemory, prometheus.GaugeValue, float64(n.Used), n.Node)
		ch <- prometheus.MustNewConstMetric(redisMaxMemory, prometheus.GaugeValue, float64(n.Max), n.Node)
	}
}
