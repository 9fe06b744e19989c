/** What customers wrote about the supplier's products. */
import { z } from "zod";
import { sqlNumber, sqlStringList } from "./sql";
import {
  defineDataset,
  exclusiveUpperBoundCondition,
  isOrderedRange,
  lowerBoundCondition,
  paramsObjectError,
  renderSelect,
  upperBoundCondition,
  upperSkus,
  ZIsoDateOrDateTime,
  ZSkuList,
  type DatasetColumn,
} from "./types";

const RATING_MESSAGE = "Use a whole number from 1 to 5.";
const ZRating = z.number({ error: RATING_MESSAGE }).int(RATING_MESSAGE).min(1, RATING_MESSAGE).max(5, RATING_MESSAGE);

export const ZCustomerReviewsParams = z
  .object(
    {
      /** Reviews written at or after this date (a date means from the start of that day, UTC). */
      createdFrom: ZIsoDateOrDateTime.optional().meta({ title: "Written from", description: "Reviews written on or after this date (UTC: a date means from 00:00 UTC that day)." }),
      /** Reviews written at or before this date (a date means up to the end of that day, UTC). */
      createdTo: ZIsoDateOrDateTime.optional().meta({ title: "Written until", description: "Reviews written on or before this date (UTC: a date means up to 24:00 UTC that day)." }),
      /** Reviews written strictly before this date-time (with createdFrom: a half-open window). */
      createdBefore: ZIsoDateOrDateTime.optional().meta({ title: "Written before", description: "Reviews written strictly before this instant (incremental schedules set it)." }),
      /** Lowest star rating to include. */
      ratingMin: ZRating.optional().meta({ title: "Lowest rating", description: "Only reviews with at least this many stars (1 to 5)." }),
      /** Highest star rating to include. */
      ratingMax: ZRating.optional().meta({ title: "Highest rating", description: "Only reviews with at most this many stars (1 to 5)." }),
      /** Only reviews of these SKUs. */
      skus: ZSkuList.optional().meta({ title: "SKUs", description: "Only reviews of these SKUs (one per line or comma-separated)." }),
    },
    { error: paramsObjectError },
  )
  .strict()
  .superRefine((p, ctx) => {
    if (p.createdFrom !== undefined && p.createdTo !== undefined && !isOrderedRange(p.createdFrom, p.createdTo)) {
      ctx.addIssue({ code: "custom", path: ["createdTo"], message: "The end date must not be before the start date." });
    }
    if (p.ratingMin !== undefined && p.ratingMax !== undefined && p.ratingMin > p.ratingMax) {
      ctx.addIssue({ code: "custom", path: ["ratingMax"], message: "The highest rating must not be below the lowest rating." });
    }
  });
export type TCustomerReviewsParams = z.infer<typeof ZCustomerReviewsParams>;

const columns: readonly DatasetColumn[] = [
  { name: "sku", type: "varchar", description: "Stock keeping unit of the reviewed product." },
  { name: "rating", type: "integer", description: "Stars, 1 to 5." },
  { name: "title", type: "varchar", description: "Review title." },
  { name: "body", type: "varchar", description: "Review text; may span several lines." },
  { name: "created_at", type: "timestamp", description: "When the review was written (UTC)." },
];

export const customerReviews = defineDataset<TCustomerReviewsParams>({
  id: "customer_reviews",
  title: "Customer reviews",
  description: "Ratings and reviews customers wrote about your products.",
  columns,
  changeCursor: { column: "created_at", fromParam: "createdFrom", beforeParam: "createdBefore" },
  paramsSchema: ZCustomerReviewsParams,
  buildQuery(p, scope, selected) {
    const where: string[] = [];
    if (p.createdFrom !== undefined) where.push(lowerBoundCondition("created_at", p.createdFrom));
    if (p.createdTo !== undefined) where.push(upperBoundCondition("created_at", p.createdTo));
    if (p.createdBefore !== undefined) where.push(exclusiveUpperBoundCondition("created_at", p.createdBefore));
    if (p.ratingMin !== undefined) where.push(`rating >= ${sqlNumber(p.ratingMin)}`);
    if (p.ratingMax !== undefined) where.push(`rating <= ${sqlNumber(p.ratingMax)}`);
    if (p.skus) where.push(`sku IN ${sqlStringList(upperSkus(p.skus))}`);
    return renderSelect({ table: "rsdataapi.customer_reviews", columns: selected, scope, where });
  },
});
