// Test doubles for users' own tests (@services-cluster/core/testing): services that run inside the test's process
// over in-memory channels. Nothing here is needed by production code, so the main entry does not carry it.
export { MemoryContainer, memoryContainers } from '../container/memory-container.js'
export { createMemoryPortPair } from '../port/memory-port.js'
