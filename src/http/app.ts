// The Hono facade (docs/design.md §7): the original Flask routes plus the node's own, JSON in and out.
// One concern per module: routes/* build sub-apps, error-handler.ts is the only place failures
// become responses, json-body.ts the only body reader.
import { Hono } from 'hono'
import { methodNotAllowed } from 'hono/method-not-allowed'
import { bodyLimit } from './json-body.js'
import { createErrorHandler, logInternalErrorToConsole, methodNotAllowedResponse, notFoundHandler } from './error-handler.js'
import { NODE_INFO_TIMEOUT_MS } from './node-info-client.js'
import { createPeerRegistration } from './peer-registration.js'
import { createAdminRoutes } from './routes/admin-routes.js'
import { createBlockRoutes } from './routes/block-routes.js'
import { createChainRoutes } from './routes/chain-routes.js'
import { createItemRoutes } from './routes/item-routes.js'
import { createNodeRoutes } from './routes/node-routes.js'
import { createTransactionRoutes } from './routes/transaction-routes.js'
import { DEFAULT_BODY_LIMIT_BYTES, DEFAULT_CONNECT_TIMEOUT_MS, type FacadeDeps } from './types.js'

export type { FacadeDeps, NetworkApi, PeerInfo } from './types.js'

export function createApp (deps: FacadeDeps): Hono {
  if (deps === null || typeof deps !== 'object') throw new TypeError('createApp: "deps" must be an object')
  const bodyLimitBytes = deps.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES
  if (!Number.isSafeInteger(bodyLimitBytes) || bodyLimitBytes <= 0) throw new TypeError('createApp: "bodyLimitBytes" must be a positive integer')
  const now = deps.now ?? Date.now
  if (typeof now !== 'function') throw new TypeError('createApp: "now" must be a function')
  const logInternalError = deps.logInternalError ?? logInternalErrorToConsole
  if (deps.syncRoutes !== undefined && !(deps.syncRoutes instanceof Hono)) throw new TypeError('createApp: "syncRoutes" must be a Hono app')
  const extraRoutes = deps.extraRoutes ?? []
  if (!Array.isArray(extraRoutes) || !extraRoutes.every(m => typeof m?.path === 'string' && m.path.startsWith('/') && m.routes instanceof Hono)) {
    throw new TypeError('createApp: "extraRoutes" must be a list of { path: "/...", routes: Hono }')
  }
  const middleware = deps.middleware ?? []
  if (!Array.isArray(middleware) || !middleware.every(m => typeof m === 'function')) {
    throw new TypeError('createApp: "middleware" must be a list of Hono middleware functions')
  }
  const { chain, network } = deps

  const app = new Hono()
  app.onError(createErrorHandler(logInternalError))
  app.notFound(notFoundHandler)
  for (const handler of middleware) app.use('*', handler)
  app.use('*', methodNotAllowed({ app, onMethodNotAllowed: methodNotAllowedResponse }))
  app.use('*', bodyLimit(bodyLimitBytes))

  const registerPeer = createPeerRegistration({
    network,
    networkId: chain.networkId,
    fetchImpl: deps.fetchImpl ?? fetch,
    connectTimeoutMs: deps.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    nodeInfoTimeoutMs: deps.nodeInfoTimeoutMs ?? NODE_INFO_TIMEOUT_MS
  })

  app.route('/', createChainRoutes({ chain, network, logInternalError, legacyChainView: deps.legacyChainView }))
  app.route('/', createItemRoutes({ chain, addressBook: deps.addressBook ?? {}, logInternalError }))
  app.route('/', createTransactionRoutes({ chain, network, logInternalError }))
  app.route('/', createBlockRoutes({ chain, network, logInternalError }))
  app.route('/', createNodeRoutes({ chain, network }))
  app.route('/', createAdminRoutes({
    chain, miner: deps.miner, network, dataDir: deps.dataDir, apiToken: deps.apiToken, registerPeer, now, logInternalError
  }))
  if (deps.syncRoutes !== undefined) app.route('/p2p/v1', deps.syncRoutes)
  for (const { path, routes } of extraRoutes) app.route(path, routes)
  return app
}
