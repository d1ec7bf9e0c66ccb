-- Reference statement for the helpers' fixed cost: no function call.
SELECT NULL::uuid[];
