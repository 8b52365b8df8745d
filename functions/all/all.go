// Package all is the registry: the one list of every function. The
// deployment manifests and gateway routes are generated from it (go generate
// ./functions/all/ runs gendeploy); the local all-in-one entrypoint (cmd), the
// container build and the API docs are checked against it.
package all

//go:generate go run ./gendeploy

import (
	"seckill/functions/activityaudit"
	"seckill/functions/activityorders"
	"seckill/functions/activitystats"
	"seckill/functions/adjuststock"
	"seckill/functions/apidocs"
	"seckill/functions/cancelactivity"
	"seckill/functions/cancelorder"
	"seckill/functions/confirmpayment"
	"seckill/functions/console"
	"seckill/functions/createactivity"
	"seckill/functions/createproduct"
	"seckill/functions/deleteproduct"
	"seckill/functions/drawentry"
	"seckill/functions/drawresult"
	"seckill/functions/enterdraw"
	"seckill/functions/expireorders"
	"seckill/functions/getactivity"
	"seckill/functions/getorder"
	"seckill/functions/getproduct"
	"seckill/functions/joinqueue"
	"seckill/functions/listactivities"
	"seckill/functions/listproducts"
	"seckill/functions/pauseactivity"
	"seckill/functions/purchase"
	"seckill/functions/purchaseresult"
	"seckill/functions/queuestatus"
	"seckill/functions/server"
	"seckill/functions/storefront"
	"seckill/functions/updateactivity"
	"seckill/functions/updateproduct"
	"seckill/functions/userorders"
)

// Functions lists every function.
var Functions = []server.Function{
	createproduct.Function,
	getproduct.Function,
	createactivity.Function,
	getactivity.Function,
	purchase.Function,
	purchaseresult.Function,
	joinqueue.Function,
	queuestatus.Function,
	listproducts.Function,
	updateproduct.Function,
	deleteproduct.Function,
	listactivities.Function,
	updateactivity.Function,
	adjuststock.Function,
	cancelactivity.Function,
	pauseactivity.Function,
	activityaudit.Function,
	console.Function,
	getorder.Function,
	confirmpayment.Function,
	cancelorder.Function,
	userorders.Function,
	activityorders.Function,
	activitystats.Function,
	expireorders.Function,
	enterdraw.Function,
	drawentry.Function,
	drawresult.Function,
	apidocs.Function,
	storefront.Function,
}
