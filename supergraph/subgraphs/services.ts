/** Every demo upstream service by name, each built over its own copy of the seed data. */
import { createAccountsService } from './accounts';
import type { SubgraphName } from './catalog';
import { createInventoryService } from './inventory';
import { createOrdersService } from './orders';
import { createProductsService } from './products';
import { createReviewsService } from './reviews';
import { createDemoData, type DemoData } from './seed';
import type { SubgraphService } from './service';

const FACTORIES: Record<SubgraphName, (data: DemoData) => SubgraphService> = {
  accounts: createAccountsService,
  products: createProductsService,
  inventory: createInventoryService,
  reviews: createReviewsService,
  orders: createOrdersService,
};

export function createService(name: SubgraphName, data: DemoData = createDemoData()): SubgraphService {
  return FACTORIES[name](data);
}
