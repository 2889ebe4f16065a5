import kit from './index.js'
export const { startDevServer, sdkLibrary, emulatorEnv } = kit
export default kit
